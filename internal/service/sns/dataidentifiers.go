package sns

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Managed data identifiers of message data protection. A policy names
// them by ARN (managedIdentifierPrefix + name); every name SNS documents
// is accepted, but Nimbus detects only those in detectors — with its own
// patterns and checks, not SNS's machine learning. The others (Name,
// Address, driver's licences, passports, national and health numbers...)
// never match.

const managedIdentifierPrefix = "arn:aws:dataprotection::aws:data-identifier/"

// managedIdentifiers are the names SNS documents for its managed data
// identifiers (credentials, devices, financial, PHI and PII).
var managedIdentifiers = func() map[string]bool {
	m := map[string]bool{}
	add := func(name string, countries ...string) {
		if len(countries) == 0 {
			m[name] = true
		}
		for _, c := range countries {
			m[name+"-"+c] = true
		}
	}
	// Credentials and devices.
	for _, n := range []string{"AwsSecretKey", "OpenSshPrivateKey", "PgpPrivateKey", "PkcsPrivateKey", "PuttyPrivateKey", "IpAddress"} {
		add(n)
	}
	// Financial.
	add("BankAccountNumber", "DE", "ES", "FR", "GB", "IT", "US")
	add("CreditCardExpiration")
	add("CreditCardNumber")
	add("CreditCardSecurityCode")
	// Protected health information.
	add("DrugEnforcementAgencyNumber", "US")
	add("HealthcareProcedureCode", "US")
	add("HealthInsuranceCardNumber", "EU")
	add("HealthInsuranceClaimNumber", "US")
	add("HealthInsuranceNumber", "FR")
	add("MedicareBeneficiaryNumber", "US")
	add("NationalDrugCode", "US")
	add("NationalInsuranceNumber", "GB")
	add("NationalProviderId", "US")
	add("NhsNumber", "GB")
	add("PersonalHealthNumber", "CA")
	// Personally identifiable information.
	for _, n := range []string{"Address", "EmailAddress", "LatLong", "Name", "PhoneNumber", "VehicleIdentificationNumber"} {
		add(n)
	}
	add("CepCode", "BR")
	add("Cnpj", "BR")
	add("CpfCode", "BR")
	add("DriversLicense", "AT", "AU", "BE", "BG", "CA", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
		"HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "US")
	add("ElectoralRollNumber", "GB")
	add("IndividualTaxIdentificationNumber", "US")
	add("InseeCode", "FR")
	add("NationalIdentificationNumber", "DE", "ES", "IT")
	add("NieNumber", "ES")
	add("NifNumber", "ES")
	add("PassportNumber", "CA", "DE", "ES", "FR", "GB", "IT", "US")
	add("PermanentResidenceNumber", "CA")
	add("PhoneNumber", "BR", "DE", "ES", "FR", "GB", "IT", "US")
	add("PostalCode", "CA")
	add("RgNumber", "BR")
	add("SocialInsuranceNumber", "CA")
	add("Ssn", "ES", "US")
	add("TaxId", "DE", "ES", "FR", "GB")
	add("ZipCode", "US")
	return m
}()

// span is a match: text[start:end].
type span struct{ start, end int }

// detector finds the occurrences of one kind of sensitive data.
type detector func(text string) []span

// detectors are the managed data identifiers Nimbus detects.
var detectors = map[string]detector{
	"EmailAddress":           matchAll(emailPattern, nil),
	"CreditCardNumber":       detectCreditCards,
	"CreditCardSecurityCode": keyworded(regexp.MustCompile(`\b\d{3,4}\b`), cardCodeKeywords, nil),
	"CreditCardExpiration":   keyworded(regexp.MustCompile(`\b(0[1-9]|1[0-2])\s?[/-]\s?(\d{4}|\d{2})\b`), cardExpiryKeywords, nil),
	"AwsSecretKey":           detectSecretKeys,
	"IpAddress":              detectIPAddresses,
	"PhoneNumber":            detectPhoneNumbers(true),
	"PhoneNumber-US":         detectPhoneNumbers(false),
	"Ssn-US":                 keyworded(regexp.MustCompile(`\b(\d{3})-?(\d{2})-?(\d{4})\b`), ssnKeywords, validSSN),
	"ZipCode-US":             keyworded(regexp.MustCompile(`\b\d{5}(-\d{4})?\b`), zipKeywords, nil),
	"LatLong":                keyworded(latLongPattern, latLongKeywords, validLatLong),
	"OpenSshPrivateKey":      matchAll(regexp.MustCompile(`-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]*?-----END OPENSSH PRIVATE KEY-----`), nil),
	"PkcsPrivateKey":         matchAll(regexp.MustCompile(`-----BEGIN (RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----[\s\S]*?-----END (RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----`), nil),
	"PgpPrivateKey":          matchAll(regexp.MustCompile(`-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]*?-----END PGP PRIVATE KEY BLOCK-----`), nil),
	"PuttyPrivateKey":        matchAll(regexp.MustCompile(`PuTTY-User-Key-File-[23]: [\s\S]*?Private-MAC: [0-9a-fA-F]+`), nil),
	"VehicleIdentificationNumber": keyworded(regexp.MustCompile(`\b[A-HJ-NPR-Z0-9]{17}\b`), vinKeywords, func(s string) bool {
		return strings.ContainsAny(s, "0123456789") && strings.ContainsFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' })
	}),
}

// Keywords SNS documents for the identifiers that need one near the data.
var (
	cardCodeKeywords = keywordSet("card id", "card identification code", "card identification number", "card security code",
		"card validation code", "card validation number", "card verification data", "card verification value", "cvc", "cvc2",
		"cvv", "cvv2", "elo verification code")
	cardExpiryKeywords = keywordSet("exp d", "exp m", "exp y", "expiration", "expiry")
	cardNumberKeywords = keywordSet("account number", "american express", "amex", "bank card", "card", "card num", "card number",
		"cc #", "ccn", "check card", "credit", "credit card#", "dankort", "debit", "debit card", "diners club", "discover",
		"electron", "japanese card bureau", "jcb", "mastercard", "mc", "pan", "payment account number", "payment card number",
		"pcn", "union pay", "visa")
	awsSecretKeywords = keywordSet("aws_secret_access_key", "credentials", "secret access key", "secret key", "set-awscredential")
	ssnKeywords       = keywordSet("social security", "ss#", "ssn")
	zipKeywords       = keywordSet("zip code", "zip+4")
	latLongKeywords   = keywordSet("coordinate", "coordinates", "lat long", "latitude longitude", "location", "position")
	phoneKeywords     = keywordSet("cell", "contact", "fax", "fax number", "mobile", "phone", "phone number", "tel", "telephone", "telephone number")
	vinKeywords       = keywordSet("fahrgestellnummer", "niv", "vehicle identification number", "vin")
)

// keywordSet returns the keywords in lower case with the variants SNS also
// matches: a space left out, or written as an underscore or a hyphen.
func keywordSet(words ...string) []string {
	var out []string
	for _, w := range words {
		out = append(out, w)
		if strings.Contains(w, " ") {
			out = append(out, strings.ReplaceAll(w, " ", ""), strings.ReplaceAll(w, " ", "_"), strings.ReplaceAll(w, " ", "-"))
		}
	}
	return out
}

// keywordWindow is how far before the data Nimbus looks for a keyword.
const keywordWindow = 30

// keywordBefore reports whether one of the keywords appears, as a word,
// within keywordWindow bytes before text[start:].
func keywordBefore(text string, start int, keywords []string) bool {
	window := strings.ToLower(text[max(0, start-keywordWindow):start])
	for _, k := range keywords {
		for i := 0; i+len(k) <= len(window); {
			j := strings.Index(window[i:], k)
			if j < 0 {
				break
			}
			at := i + j
			if !wordByte(window, at-1) && !wordByte(window, at+len(k)) {
				return true
			}
			i = at + 1
		}
	}
	return false
}

// wordByte reports whether s[i] exists and is a letter or digit, so that
// a keyword inside a longer word ("mc" in "mcdonald") does not count.
func wordByte(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

var (
	emailPattern   = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}`)
	latLongPattern = regexp.MustCompile(`(-?\d{1,2}\.\d{3,})\s*,\s*(-?\d{1,3}\.\d{3,})`)
)

// matchAll detects every match of re that valid (if any) accepts.
func matchAll(re *regexp.Regexp, valid func(string) bool) detector {
	return func(text string) []span {
		var out []span
		for _, m := range re.FindAllStringIndex(text, -1) {
			if valid == nil || valid(text[m[0]:m[1]]) {
				out = append(out, span{m[0], m[1]})
			}
		}
		return out
	}
}

// keyworded detects matches of re that valid (if any) accepts and that
// follow one of the keywords.
func keyworded(re *regexp.Regexp, keywords []string, valid func(string) bool) detector {
	return func(text string) []span {
		var out []span
		for _, m := range re.FindAllStringIndex(text, -1) {
			if (valid == nil || valid(text[m[0]:m[1]])) && keywordBefore(text, m[0], keywords) {
				out = append(out, span{m[0], m[1]})
			}
		}
		return out
	}
}

// AWS secret access keys: 40 characters of the base64 alphabet standing
// alone (a longer run is some other encoded data), after a keyword.
var secretKeyRun = regexp.MustCompile(`[A-Za-z0-9/+]+=*`)

func detectSecretKeys(text string) []span {
	var out []span
	for _, m := range secretKeyRun.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		if len(s) == 40 && realSecretKey(s) && keywordBefore(text, m[0], awsSecretKeywords) {
			out = append(out, span{m[0], m[1]})
		}
	}
	return out
}

// exampleSecretKeys are the secret keys of AWS's documentation, not
// reported.
var exampleSecretKeys = []string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}

// realSecretKey: a secret key mixes cases and digits (a 40-letter word or
// a hex digest is not one) and is not AWS's documentation example.
func realSecretKey(s string) bool {
	if slices.Contains(exampleSecretKeys, s) {
		return false
	}
	var lower, upper, digit bool
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		}
	}
	return lower && upper && digit
}

// validSSN rejects numbers the Social Security Administration never
// issues: area 000, 666 or 900-999, group 00, serial 0000.
func validSSN(s string) bool {
	d := strings.ReplaceAll(s, "-", "")
	if len(d) != 9 {
		return false
	}
	area, group, serial := d[:3], d[3:5], d[5:]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

func validLatLong(s string) bool {
	m := latLongPattern.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	return inRange(m[1], 90) && inRange(m[2], 180)
}

// inRange reports whether the decimal degrees d are within ±limit.
func inRange(d string, limit int) bool {
	d = strings.TrimPrefix(d, "-")
	whole, frac, _ := strings.Cut(d, ".")
	n := 0
	for _, c := range whole {
		n = n*10 + int(c-'0')
	}
	return n < limit || n == limit && strings.Trim(frac, "0") == ""
}

// Credit card numbers: 13 to 19 digits, optionally in groups separated by
// single spaces or hyphens, that pass the Luhn check and start like a
// card of a network SNS names, and are not one of the card networks'
// published test numbers.
var cardCandidate = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)

func detectCreditCards(text string) []span {
	var out []span
	for _, m := range cardCandidate.FindAllStringIndex(text, -1) {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, text[m[0]:m[1]])
		if !luhn(digits) || !cardPrefix(digits) || testCardNumbers[digits] {
			continue
		}
		if keywordBefore(text, m[0], cardNumberKeywords) {
			out = append(out, span{m[0], m[1]})
		}
	}
	return out
}

// luhn checks a number's Luhn check digit.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(digits) >= 13 && sum%10 == 0
}

// cardPrefix reports whether a number starts like a card of American
// Express, Dankort, Diners Club, Discover, Visa Electron, JCB,
// Mastercard, UnionPay or Visa.
func cardPrefix(d string) bool {
	n := func(k int) int {
		v := 0
		for i := 0; i < k && i < len(d); i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	switch {
	case d[0] == '4': // Visa, Visa Electron
		return true
	case n(2) == 34 || n(2) == 37: // American Express
		return true
	case n(2) >= 51 && n(2) <= 55, n(4) >= 2221 && n(4) <= 2720: // Mastercard
		return true
	case n(4) == 6011, n(2) == 65, n(3) >= 644 && n(3) <= 649: // Discover
		return true
	case n(4) >= 3528 && n(4) <= 3589: // JCB
		return true
	case n(3) >= 300 && n(3) <= 305, n(2) == 36, n(2) == 38, n(2) == 39: // Diners Club
		return true
	case n(2) == 62: // UnionPay
		return true
	case n(4) == 5019: // Dankort
		return true
	}
	return false
}

// testCardNumbers are the numbers card issuers reserve for public testing,
// which SNS does not report.
var testCardNumbers = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`122000000000003 2222405343248877 2222990905257051 2223007648726984 2223577120017656
		30569309025904 34343434343434 3528000700000000 3530111333300000 3566002020360505 36148900647913 36700102000000
		371449635398431 378282246310005 378734493671000 38520000023237 4012888888881881 4111111111111111 4222222222222
		4444333322221111 4462030000000000 4484070000000000 4911830000000 4917300800000000 4917610000000000
		4917610000000000003 5019717010103742 5105105105105100 5111010030175156 5185540810000019 5200828282828210
		5204230080000017 5204740009900014 5420923878724339 5454545454545454 5455330760000018 5506900490000436
		5506900490000444 5506900510000234 5506920809243667 5506922400634930 5506927427317625 5553042241984105
		5555553753048194 5555555555554444 5610591081018250 6011000990139424 6011000400000000 6011111111111117
		630490017740292441 630495060000000000 6331101999990016 6759649826438453 6799990100000000019 76009244561`) {
		m[n] = true
	}
	return m
}()

// IP addresses: IPv4 in dotted decimal and IPv6, checked by parsing.
var (
	ipv4Candidate = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}\b`)
	ipv6Candidate = regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?`)
)

func detectIPAddresses(text string) []span {
	var out []span
	for _, m := range ipv4Candidate.FindAllStringIndex(text, -1) {
		// A version number or an OID goes on with more dotted parts.
		if m[1] < len(text)-1 && text[m[1]] == '.' && text[m[1]+1] >= '0' && text[m[1]+1] <= '9' || m[0] > 0 && text[m[0]-1] == '.' {
			continue
		}
		if a, err := netip.ParseAddr(text[m[0]:m[1]]); err == nil && a.Is4() {
			out = append(out, span{m[0], m[1]})
		}
	}
	for _, m := range ipv6Candidate.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		// Inside a word ("std::map") it is not an address.
		if !strings.ContainsAny(s, "0123456789abcdefABCDEF") || m[0] > 0 && addressByte(text[m[0]-1]) || m[1] < len(text) && addressByte(text[m[1]]) {
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Is6() {
			out = append(out, span{m[0], m[1]})
		}
	}
	return sortSpans(out)
}

func addressByte(c byte) bool {
	return c == ':' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Phone numbers: North American numbers (area code and exchange from 2 to
// 9), with or without +1, and for PhoneNumber any E.164 number. As SNS
// documents, a number needs a keyword before it unless it carries its
// country code.
var (
	nanpCandidate  = regexp.MustCompile(`(\+1[ .-]?)?\(?[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]?\d{4}\b`)
	e164Candidate  = regexp.MustCompile(`\+[1-9]\d{7,14}\b`)
	phoneFollowers = regexp.MustCompile(`^[0-9A-Za-z]`)
)

func detectPhoneNumbers(international bool) detector {
	return func(text string) []span {
		var out []span
		for _, m := range nanpCandidate.FindAllStringSubmatchIndex(text, -1) {
			if m[0] > 0 && (text[m[0]-1] >= '0' && text[m[0]-1] <= '9') || phoneFollowers.MatchString(text[m[1]:]) {
				continue
			}
			if m[2] >= 0 || keywordBefore(text, m[0], phoneKeywords) {
				out = append(out, span{m[0], m[1]})
			}
		}
		if international {
			for _, m := range e164Candidate.FindAllStringIndex(text, -1) {
				out = append(out, span{m[0], m[1]})
			}
		}
		return mergeSpans(sortSpans(out))
	}
}

func sortSpans(s []span) []span {
	slices.SortFunc(s, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	return s
}

// mergeSpans joins overlapping sorted spans.
func mergeSpans(s []span) []span {
	var out []span
	for _, sp := range s {
		if n := len(out); n > 0 && sp.start < out[n-1].end {
			out[n-1].end = max(out[n-1].end, sp.end)
			continue
		}
		out = append(out, sp)
	}
	return out
}
