module github.com/agmigrate/agmigrate

go 1.24.0

require (
	github.com/Khan/genqlient v0.8.1
	github.com/lestrrat-go/jwx/v2 v2.1.6
	github.com/vektah/gqlparser/v2 v2.5.19
	golang.org/x/crypto v0.48.0
	golang.org/x/net v0.50.0
	golang.org/x/sync v0.19.0
	golang.org/x/text v0.34.0
)

require (
	github.com/agnivade/levenshtein v1.1.1 // indirect
	github.com/decred/dcrd/dcrec/secp256k1/v4 v4.4.0 // indirect
	github.com/goccy/go-json v0.10.3 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/lestrrat-go/blackmagic v1.0.3 // indirect
	github.com/lestrrat-go/httpcc v1.0.1 // indirect
	github.com/lestrrat-go/httprc v1.0.6 // indirect
	github.com/lestrrat-go/iter v1.0.2 // indirect
	github.com/lestrrat-go/option v1.0.1 // indirect
	github.com/segmentio/asm v1.2.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
)
