package adminapi

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/Khan/genqlient/graphql"
)

// Everything the Admin API answers is parsed as untrusted input: whatever
// comes back, decoding returns data or an error and never panics.
func FuzzDecodeResponses(f *testing.F) {
	for _, s := range []string{
		`{"data":{"getUserByLoginID":null}}`,
		`{"data":{"getUserByLoginID":null},"errors":[{"message":"invalid Login ID value","path":["getUserByLoginID"],"extensions":{"errorName":"Invalid","reason":"GetUsersInvalidArgument"}}]}`,
		`{"data":null,"errors":[{"message":"x","locations":[]}]}`,
		`{"error":{"name":"BadRequest","reason":"InvalidJSON","message":"m","code":400,"info":{"byte_offset":26}}}`,
		`{"result":{"id":"userimport_X","created_at":"2026-11-21T19:39:06Z","status":"pending"}}`,
		"Forbidden\n", "", "null", `{"data":[]}`, `{"errors":[null]}`, `{"result":{"id":"a","details":[{"index":"x"}]}}`,
	} {
		f.Add([]byte(s), 200)
	}
	f.Fuzz(func(t *testing.T, data []byte, status int) {
		resp := &graphql.Response{Data: &GetUserByLoginIDResponse{}}
		err := decodeGraphQL(data, resp)
		var ges GraphQLErrors
		if errors.As(err, &ges) {
			_ = ges.Error()
			_ = errors.Is(err, ErrInvalidLoginID)
		}
		he := httpError(status, data)
		_ = he.Error()
		_, _ = decodeJob(status, data)
		var v any
		if json.Valid(data) {
			_ = json.Unmarshal(data, &v)
		}
	})
}
