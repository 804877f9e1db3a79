package registry

import "testing"

func TestLabelOrigin(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code                     string
		district, province, dept string
	}{
		{"211104", "Caracoto", "San Roman", "Puno"},
		{"080101", "Cusco", "Cusco", "Cusco"},
		// Outside the alpaca regions the department alone is known.
		{"150101", "", "", "Lima"},
		// An unknown code is shown as itself.
		{"219999", "", "", "Puno"},
		{"", "", "", ""},
	} {
		o := labelOrigin("Q'ero", "Ichu", tt.code)
		if o.GetDistrict() != tt.district || o.GetProvince() != tt.province || o.GetDepartment() != tt.dept ||
			o.GetUbigeo() != tt.code || o.GetCommunity() != "Q'ero" || o.GetCollectionPoint() != "Ichu" {
			t.Errorf("labelOrigin(%q) = %v, want %s, %s, %s", tt.code, o, tt.district, tt.province, tt.dept)
		}
	}
}

func TestLotURL(t *testing.T) {
	t.Parallel()
	const name = "associations/a/lots/l"
	for _, tt := range []struct{ base, number, want string }{
		{"https://millwa.example", "2026-0001", "https://millwa.example/v1/associations/a/lots/l#n=2026-0001"},
		{"https://millwa.example/", "", "https://millwa.example/v1/associations/a/lots/l"},
		{"http://localhost:8080", "L 7/Ñ", "http://localhost:8080/v1/associations/a/lots/l#n=L%207/%C3%91"},
	} {
		if got := lotURL(tt.base, name, tt.number); got != tt.want {
			t.Errorf("lotURL(%q, %q) = %q, want %q", tt.base, tt.number, got, tt.want)
		}
	}
}
