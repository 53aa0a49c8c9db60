package adminapi

import (
	"testing"

	"github.com/Khan/genqlient/graphql"
)

// The new operations' answers are untrusted input too; the node queries
// decode an interface by __typename, which has its own code path.
func FuzzDecodeOperationResponses(f *testing.F) {
	for _, s := range []string{
		`{"data":{"node":{"__typename":"User","id":"VXNlcjpk","sessions":{"edges":[{"node":{"id":"U2Vzc2lvbjpj","type":"OFFLINE_GRANT","clientID":null,"displayName":"","createdAt":"2026-11-28T07:19:02.019842842Z","lastAccessedAt":"2026-11-28T07:19:02Z","createdByIP":"","lastAccessedByIP":""}}],"pageInfo":{"hasNextPage":false,"endCursor":null}}}}}`,
		`{"data":{"node":{"__typename":"Session","id":"x"}}}`,
		`{"data":{"node":{"id":"x"}}}`,
		`{"data":{"node":null}}`,
		`{"data":{"node":{"__typename":"User","authenticators":{"totalCount":1,"edges":[{"node":{"id":"a","type":"PASSWORD","kind":"PRIMARY","isDefault":false,"expireAfter":null,"createdAt":"2026-11-28T07:20:03.790806Z"}}]}}}}`,
		`{"data":{"users":{"edges":[null,{"cursor":"c","node":null}],"pageInfo":{"hasNextPage":true,"endCursor":"c"}}}}`,
		`{"data":null,"errors":[{"message":"unexpected error","locations":[]}]}`,
		`{"data":null,"errors":[{"message":"password policy violated","extensions":{"errorName":"Invalid","reason":"PasswordPolicyViolated","info":{"causes":[{"Name":"PasswordTooShort","Info":{"min_length":8}}, 3, null]}}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []any{&GetUserSessionsResponse{}, &GetUserAuthenticatorsResponse{}, &ListUsersResponse{}, &SetDisabledStatusResponse{}} {
			err := decodeGraphQL(data, &graphql.Response{Data: v})
			_ = PasswordPolicyViolations(err)
			_, _, _ = StatusTransition(err)
			_ = isBareUnexpected(err)
		}
		s := &GetUserSessionsResponse{}
		if decodeGraphQL(data, &graphql.Response{Data: s}) == nil && s.Node != nil {
			if u, ok := (*s.Node).(*GetUserSessionsNodeUser); ok && u.Sessions != nil {
				for _, e := range u.Sessions.Edges {
					if e != nil && e.Node != nil {
						_ = userSession(e.Node)
					}
				}
			}
		}
	})
}
