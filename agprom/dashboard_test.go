package agprom_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The Grafana dashboard in examples/ queries only metrics this module
// exports, so renaming one here cannot leave the dashboard blank.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../examples/grafana/agmigrate-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	_, url, _ := world(t)
	fams := scrape(t, url+"/metrics")
	names := regexp.MustCompile(`agmigrate_[a-z_]+`).FindAllString(string(raw), -1)
	if len(names) == 0 {
		t.Fatal("the dashboard queries no agmigrate metric")
	}
	for _, n := range names {
		base := strings.TrimSuffix(n, "_bucket")
		if _, ok := fams[base]; !ok {
			t.Errorf("the dashboard queries %s, which agprom does not export", n)
		}
	}
}
