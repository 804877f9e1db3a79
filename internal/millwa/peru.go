package millwa

import "strings"

// Peruvian reference data used to validate identifiers. Sources:
// INEI ubigeo codes (departments 01–25) and SUNAT's RUC check digit rule, as
// summarised in the project's domain notes (STANDARDS.md, "Reference data").

// Departments maps each INEI department code to its name.
var Departments = map[string]string{
	"01": "Amazonas", "02": "Áncash", "03": "Apurímac", "04": "Arequipa",
	"05": "Ayacucho", "06": "Cajamarca", "07": "Callao", "08": "Cusco",
	"09": "Huancavelica", "10": "Huánuco", "11": "Ica", "12": "Junín",
	"13": "La Libertad", "14": "Lambayeque", "15": "Lima", "16": "Loreto",
	"17": "Madre de Dios", "18": "Moquegua", "19": "Pasco", "20": "Piura",
	"21": "Puno", "22": "San Martín", "23": "Tacna", "24": "Tumbes",
	"25": "Ucayali",
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// CheckRegionFilter records a violation of the request field "region"
// unless region is empty (every region) or an INEI department code, as the
// market's statistics and the observatory take a region.
func CheckRegionFilter(vs *Violations, region string) {
	if _, ok := Departments[region]; region != "" && !ok {
		vs.Add("region", "must be a 2-digit INEI department code such as 21 (Puno); got %q", region)
	}
}

// CheckUbigeo reports what is wrong with a six-digit INEI district code, or
// "" when it is valid: six digits whose first two name one of the 25
// departments and whose province and district parts are not 00.
func CheckUbigeo(code string) string {
	if len(code) != 6 || !allDigits(code) {
		return "must be a 6-digit INEI ubigeo code (department, province, district), for example 210101 for Puno"
	}
	if _, ok := Departments[code[:2]]; !ok {
		return "department " + code[:2] + " is not one of the 25 INEI departments (01 to 25)"
	}
	if code[2:4] == "00" || code[4:6] == "00" {
		return "province and district parts must not be 00"
	}
	return ""
}

// CheckRUC reports what is wrong with a Peruvian taxpayer number, or "" when
// it is valid: 11 digits whose last is the check digit of the first ten
// (weights 5,4,3,2,7,6,5,4,3,2; 11 minus the sum modulo 11, 10 written 0 and
// 11 written 1).
func CheckRUC(ruc string) string {
	if len(ruc) != 11 || !allDigits(ruc) {
		return "must be 11 digits"
	}
	if ruc[10] != RUCCheckDigit(ruc[:10]) {
		return "check digit does not match: verify the number with SUNAT"
	}
	return ""
}

// checkLegalEntityRUC records a violation of field unless ruc is a valid
// RUC of a legal entity (starting with 20); what names the organisation
// for the message, "an association".
func checkLegalEntityRUC(vs *Violations, field, ruc, what string) {
	if msg := CheckRUC(ruc); msg != "" {
		vs.Add(field, "%s", msg)
	} else if !strings.HasPrefix(ruc, "20") {
		vs.Add(field, "%s is a legal entity: its RUC starts with 20", what)
	}
}

// ProcessorRUCPrefixes are the kinds of taxpayer a processor may be, by
// the first two digits of its RUC: 10, a natural person with a business
// (the artisan or small workshop); 15 and 17, other natural persons and
// foreigners SUNAT registers; 20, a legal entity.
var ProcessorRUCPrefixes = []string{"10", "15", "17", "20"}

// checkProcessorRUC records a violation of field unless ruc is a valid RUC
// (SUNAT's check digit) beginning with one of ProcessorRUCPrefixes.
func checkProcessorRUC(vs *Violations, field, ruc string) {
	if msg := CheckRUC(ruc); msg != "" {
		vs.Add(field, "%s", msg)
		return
	}
	for _, p := range ProcessorRUCPrefixes {
		if strings.HasPrefix(ruc, p) {
			return
		}
	}
	vs.Add(field, "a processor's RUC starts with 10, 15, 17 (a person) or 20 (a legal entity); got %s", ruc[:2])
}

// RUCCheckDigit returns the check digit of the first ten digits of a RUC.
// first10 must be ten ASCII digits.
func RUCCheckDigit(first10 string) byte {
	weights := [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first10[i]-'0') * w
	}
	d := 11 - sum%11
	switch d {
	case 10:
		d = 0
	case 11:
		d = 1
	}
	return byte('0' + d)
}

// CheckDNI reports what is wrong with a national identity document number,
// or "" when it is valid: exactly 8 digits.
func CheckDNI(dni string) string {
	if len(dni) != 8 || !allDigits(dni) {
		return "must be 8 digits"
	}
	return ""
}
