// Package grading grades alpaca fibre against national and industry
// standards. It imports the standard library only.
//
// A standard is data, never constants in code: one JSON file per edition,
// shipped in standards/ and embedded in the binary, which an operator can
// correct or extend with files of their own (Load). A file holds one
// Standard; its fields are the snake_case names of the JSON tags of
// Standard, for example:
//
//	{
//	  "id": "pe-ntp-231-301-2014",
//	  "title": {"es": "NTP 231.301:2014 Fibra de alpaca clasificada", "en": "…"},
//	  "country_code": "PE", "publisher": "INACAL", "edition_year": 2014,
//	  "source": "…", "confidence": "repeated",
//	  "notes": [{"subject": "quality_groups[FLEECE].min_staple_length_mm", "confidence": "repeated", "text": "…"}],
//	  "diameter_resolution_um": 0.1,
//	  "quality_groups": [
//	    {"code": "SUPER_BABY", "name": {…}, "abbreviation": "SB", "diameter_band": {"max_um": 20.0}, "min_staple_length_mm": 65},
//	    {"code": "BABY", "name": {…}, "diameter_band": {"min_um": 20.1, "max_um": 23.0}, "min_staple_length_mm": 65},
//	    …
//	  ],
//	  "short_fiber_group": {"code": "SHORT", "name": {…}, "diameter_band": {}},
//	  "colours": [{"code": "LIGHT_FAWN", "name": {…}, "abbreviation": "LF"}, …],
//	  "breeds": [{"code": "HUACAYA", "name": {…}}, …],
//	  "fleece_classification": {"group_standard": "pe-ntp-231-301-2014", "fine_group_codes": […],
//	    "categories": [{"code": "EXTRAFINA", "name": {…}, "min_fine_share_percent": 70}, …]}
//	}
//
// Bands are inclusive at both ends and written to the resolution; the
// finest group is open below, the coarsest open above, and each band starts
// one resolution step above the end of the one before. A standard's
// confidence is the weakest of its notes'.
//
// Standard.Grade computes a sample's metrics from summary values or a
// diameter histogram (Compute), decides its quality group from the mean
// rounded to the resolution and the short-fibre rule, flags it borderline
// when the 95 % interval of the mean reaches another group, and explains
// the decision in Spanish and English. Registry.ClassifyFleece puts a whole
// fleece into a category by its share of fine fibre.
package grading
