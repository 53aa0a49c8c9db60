package authgeartest

import (
	"encoding/base64"
	"encoding/json"
)

// connection is a relay connection over items of one node type.
type connection struct {
	node  string
	items []any
}

func (c connection) typeName() string { return c.node + "Connection" }

func (c connection) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	switch name {
	case "totalCount":
		return len(c.items), nil
	case "pageInfo":
		return pageInfo{len(c.items)}, nil
	case "edges":
		out := make([]any, len(c.items))
		for i, it := range c.items {
			out[i] = edge{c.node, i, it}
		}
		return out, nil
	}
	return nil, nil
}

type edge struct {
	node string
	i    int
	item any
}

func (e edge) typeName() string { return e.node + "Edge" }

func (e edge) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	switch name {
	case "cursor":
		return cursor(e.i), nil
	case "node":
		return e.item, nil
	}
	return nil, nil
}

func cursor(i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + itoa(i)))
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

type pageInfo struct{ n int }

func (pageInfo) typeName() string { return "PageInfo" }

func (p pageInfo) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	switch name {
	case "hasNextPage", "hasPreviousPage":
		return false, nil
	case "startCursor":
		if p.n == 0 {
			return nil, nil
		}
		return cursor(0), nil
	case "endCursor":
		if p.n == 0 {
			return nil, nil
		}
		return cursor(p.n - 1), nil
	}
	return nil, nil
}
