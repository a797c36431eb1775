package sns

import (
	"slices"
	"testing"
)

func TestDetectors(t *testing.T) {
	tests := []struct {
		identifier string
		text       string
		want       []string // the data found, in order
	}{
		{"EmailAddress", "write to jane.doe+news@mail.example.co.uk today", []string{"jane.doe+news@mail.example.co.uk"}},
		{"EmailAddress", "a@b.c and x@y.org", []string{"x@y.org"}},
		{"EmailAddress", "no address @ here", nil},

		{"CreditCardNumber", "My credit card number is 4539894458086459", []string{"4539894458086459"}},
		{"CreditCardNumber", "card: 4539 8944 5808 6459.", []string{"4539 8944 5808 6459"}},
		{"CreditCardNumber", "visa 4539-8944-5808-6459", []string{"4539-8944-5808-6459"}},
		{"CreditCardNumber", "amex 378734493671001", nil},                           // fails Luhn
		{"CreditCardNumber", "credit card 4539894458086458", nil},                   // fails Luhn
		{"CreditCardNumber", "order 4539894458086459 shipped", nil},                 // no keyword
		{"CreditCardNumber", "card 4111111111111111", nil},                          // a published test number
		{"CreditCardNumber", "card 9539894458086454", nil},                          // no network starts with 9
		{"CreditCardNumber", "card 45398944580864591234567", nil},                   // too long
		{"CreditCardNumber", "card 5425233430109903", []string{"5425233430109903"}}, // Mastercard

		{"CreditCardSecurityCode", "cvv: 123", []string{"123"}},
		{"CreditCardSecurityCode", "code 123", nil},
		{"CreditCardExpiration", "expiry 09/27", []string{"09/27"}},
		{"CreditCardExpiration", "expiration: 13/27", nil},

		{"AwsSecretKey", "aws_secret_access_key = Zq3vN8pL2kT7rW1xY5bC9dF4gH6jK0mQ8sU2vX4z", []string{"Zq3vN8pL2kT7rW1xY5bC9dF4gH6jK0mQ8sU2vX4z"}},
		{"AwsSecretKey", "secret key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", nil},   // the documentation's example
		{"AwsSecretKey", "Zq3vN8pL2kT7rW1xY5bC9dF4gH6jK0mQ8sU2vX4z", nil},              // no keyword
		{"AwsSecretKey", "secret key 0123456789abcdef0123456789abcdef01234567", nil},   // a hex digest
		{"AwsSecretKey", "credentials Zq3vN8pL2kT7rW1xY5bC9dF4gH6jK0mQ8sU2vX4zA", nil}, // 41 characters

		{"IpAddress", "from 192.168.10.1, to 2001:db8::8a2e:370:7334", []string{"192.168.10.1", "2001:db8::8a2e:370:7334"}},
		{"IpAddress", "version 1.2.3.4.5 and 300.1.1.1", nil},
		{"IpAddress", "at 12:34:56", nil},
		{"IpAddress", "use std::map and fe80::1%eth0.", []string{"fe80::1%eth0"}},

		{"PhoneNumber-US", "phone: (206) 555-0100", []string{"(206) 555-0100"}},
		{"PhoneNumber-US", "call +1 206 555 0100 now", []string{"+1 206 555 0100"}},
		{"PhoneNumber-US", "order 2065550100", nil}, // no keyword, no country code
		{"PhoneNumber-US", "tel 106-555-0100", nil}, // area codes do not start with 1
		{"PhoneNumber", "mobile +442071838750", []string{"+442071838750"}},

		{"Ssn-US", "ssn: 123-45-6789", []string{"123-45-6789"}},
		{"Ssn-US", "SSN 123456789", []string{"123456789"}},
		{"Ssn-US", "ssn 666-45-6789", nil},
		{"Ssn-US", "ssn 123-00-6789", nil},
		{"Ssn-US", "ticket 123-45-6789", nil},

		{"ZipCode-US", "zip code 98101-1234", []string{"98101-1234"}},
		{"LatLong", "location 41.948614,-87.655311", []string{"41.948614,-87.655311"}},
		{"LatLong", "location 95.948614,-87.655311", nil},

		{"PkcsPrivateKey", "key\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n", []string{"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"}},
		{"OpenSshPrivateKey", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----", []string{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----"}},
		{"PgpPrivateKey", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQ\n-----END PGP PRIVATE KEY BLOCK-----", []string{"-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQ\n-----END PGP PRIVATE KEY BLOCK-----"}},
		{"PuttyPrivateKey", "PuTTY-User-Key-File-2: ssh-rsa\nPrivate-Lines: 1\nAAA\nPrivate-MAC: 0a1b2c", []string{"PuTTY-User-Key-File-2: ssh-rsa\nPrivate-Lines: 1\nAAA\nPrivate-MAC: 0a1b2c"}},
		{"VehicleIdentificationNumber", "VIN 1HGCM82633A004352", []string{"1HGCM82633A004352"}},
	}
	for _, tt := range tests {
		detect := detectors[tt.identifier]
		if detect == nil {
			t.Fatalf("no detector for %s", tt.identifier)
		}
		var got []string
		for _, sp := range detect(tt.text) {
			got = append(got, tt.text[sp.start:sp.end])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s in %q: %q; want %q", tt.identifier, tt.text, got, tt.want)
		}
	}
}

// Every detector is a managed data identifier SNS documents.
func TestDetectorsAreManagedIdentifiers(t *testing.T) {
	for name := range detectors {
		if !managedIdentifiers[name] {
			t.Errorf("%s is not a managed data identifier", name)
		}
	}
}

func TestLuhn(t *testing.T) {
	for n, want := range map[string]bool{"4539894458086459": true, "79927398713": false, "0000000000000": true, "4539894458086458": false} {
		if got := luhn(n); got != want {
			t.Errorf("luhn(%s) = %v", n, got)
		}
	}
}

func TestKeywordVariants(t *testing.T) {
	for _, text := range []string{"credit card# 4539894458086459", "credit_card 4539894458086459", "CARD NUMBER: 4539894458086459"} {
		if len(detectCreditCards(text)) != 1 {
			t.Errorf("%q: not found", text)
		}
	}
	// A keyword inside another word does not count, nor one too far away.
	for _, text := range []string{"mcdonalds 4539894458086459", "card was mentioned a long long time ago: 4539894458086459"} {
		if len(detectCreditCards(text)) != 0 {
			t.Errorf("%q: found", text)
		}
	}
}

// Detectors find spans inside the text, in order, on any input.
func FuzzDetectors(f *testing.F) {
	f.Add("card 4539 8944 5808 6459, ssn 123-45-6789, a@b.io, ::1, 10.0.0.1, phone +1 206 555 0100")
	f.Add("-----BEGIN RSA PRIVATE KEY-----\n\n-----END RSA PRIVATE KEY-----")
	f.Fuzz(func(t *testing.T, text string) {
		for name, detect := range detectors {
			last := 0
			for _, sp := range detect(text) {
				if sp.start < last || sp.start >= sp.end || sp.end > len(text) {
					t.Fatalf("%s: span %v in %q", name, sp, text)
				}
				last = sp.start
			}
		}
	})
}
