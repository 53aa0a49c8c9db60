package authgeartest

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
)

// usersLocked answers users(first, after, sortBy, sortDirection) over every
// user, without the search index's lag. Cursors are offsets.
func (s *Server) usersLocked(args map[string]any) object {
	us := make([]*User, 0, len(s.order))
	for _, id := range s.order {
		if u := s.users[id]; u != nil {
			us = append(us, u)
		}
	}
	desc := args["sortDirection"] == "DESC"
	byLogin := args["sortBy"] == "LAST_LOGIN_AT"
	sort.SliceStable(us, func(i, j int) bool {
		a, b := us[i].CreatedAt, us[j].CreatedAt
		if byLogin {
			a, b = us[i].LastLoginAt, us[j].LastLoginAt
		}
		if desc {
			return a.After(b)
		}
		return a.Before(b)
	})
	start := 0
	if after, ok := args["after"].(string); ok {
		if n, ok := cursorOffset(after); ok {
			start = n + 1
		}
	}
	if start > len(us) {
		start = len(us)
	}
	end := len(us)
	// Variables arrive from JSON as float64; literals in the query as int.
	first := -1
	switch v := args["first"].(type) {
	case int64:
		first = int(v)
	case int:
		first = v
	case float64:
		if v == float64(int(v)) {
			first = int(v)
		}
	}
	if first >= 0 && start+first < end {
		end = start + first
	}
	return userPage{all: us, start: start, end: end}
}

func cursorOffset(c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
	return n, err == nil
}

// userPage is one page of a UserConnection.
type userPage struct {
	all        []*User
	start, end int
}

func (userPage) typeName() string { return "UserConnection" }

func (p userPage) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	switch name {
	case "totalCount":
		return len(p.all), nil
	case "edges":
		out := make([]any, 0, p.end-p.start)
		for i := p.start; i < p.end; i++ {
			out = append(out, edge{"User", i, userObj{p.all[i]}})
		}
		return out, nil
	case "pageInfo":
		return userPageInfo(p), nil
	}
	return nil, nil
}

type userPageInfo userPage

func (userPageInfo) typeName() string { return "PageInfo" }

func (p userPageInfo) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	switch name {
	case "hasNextPage":
		return p.end < len(p.all), nil
	case "hasPreviousPage":
		return p.start > 0, nil
	case "startCursor":
		if p.end == p.start {
			return nil, nil
		}
		return cursor(p.start), nil
	case "endCursor":
		if p.end == p.start {
			return nil, nil
		}
		return cursor(p.end - 1), nil
	}
	return nil, nil
}
