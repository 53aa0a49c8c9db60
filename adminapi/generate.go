package adminapi

// The generator is pinned to an exact version in a separate tools module
// (internal/tools/go.mod), so the library's go.mod requires only what its
// packages import at run time.
//go:generate go tool -modfile=../internal/tools/go.mod genqlient genqlient.yaml
