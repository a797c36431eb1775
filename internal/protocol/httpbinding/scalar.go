package httpbinding

import (
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Timestamp formats of the `ts` tag.
const (
	ISO8601       = "iso8601"
	RFC822        = "rfc822"
	UnixTimestamp = "unixTimestamp"
)

// ISO8601Format is how timestamps are written in ISO 8601 (AWS sends
// milliseconds).
const ISO8601Format = "2006-01-02T15:04:05.000Z"

var timeType = reflect.TypeFor[time.Time]()

var errNotScalar = errors.New("not a scalar type")

// SetText stores the wire text s in v (a settable value of a scalar member
// type: string, bool, integer, float, time.Time, []byte, or a pointer to
// one, or any for a document holding the text). Timestamps are read in
// format first and then in the other AWS formats.
func SetText(v reflect.Value, s, format string) error {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		nv := reflect.New(t.Elem())
		if err := SetText(nv.Elem(), s, format); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	}
	if t == timeType {
		tm, err := ParseTime(s, format)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return errors.New("not a boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return errors.New("not an integer in range")
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return errors.New("not an integer in range")
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := ParseFloat(s, t.Bits())
		if err != nil {
			return err
		}
		v.SetFloat(f)
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 {
			return errNotScalar
		}
		b, err := DecodeBase64(s)
		if err != nil {
			return errors.New("not base64")
		}
		v.SetBytes(b)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return errNotScalar
		}
		v.Set(reflect.ValueOf(s))
	default:
		return errNotScalar
	}
	return nil
}

// ParseFloat reads a float as AWS writes it, including NaN, Infinity and
// -Infinity.
func ParseFloat(s string, bits int) (float64, error) {
	switch strings.TrimSpace(s) {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
	if err != nil {
		return 0, errors.New("not a number")
	}
	return f, nil
}

// DecodeBase64 accepts standard base64 with or without padding.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// ParseTime reads a timestamp in format ("iso8601", "rfc822",
// "unixTimestamp"), falling back on the others: clients are not always
// strict about the format of a member, and AWS is lenient too.
func ParseTime(s, format string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, f := range [...]string{format, ISO8601, RFC822, UnixTimestamp} {
		var t time.Time
		var err error
		switch f {
		case ISO8601:
			t, err = parseISO8601(s)
		case RFC822:
			t, err = parseHTTPDate(s)
		case UnixTimestamp:
			t, err = parseEpoch(s)
		default:
			continue
		}
		if err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a timestamp")
}

func parseISO8601(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// Without a zone, or in the compact basic form some clients send.
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "20060102T150405Z", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not ISO 8601")
}

func parseHTTPDate(s string) (time.Time, error) {
	if t, err := http.ParseTime(s); err == nil {
		return t, nil
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC822, time.RFC822Z, "Mon, 2 Jan 2006 15:04:05 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not an HTTP date")
}

func parseEpoch(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, errors.New("not epoch seconds")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6), nil
}

// FormatText is the wire text of v (a scalar member value, possibly a
// pointer); ok is false for a nil pointer or a non-scalar.
func FormatText(v reflect.Value, format string) (s string, ok bool) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", false
		}
		v = v.Elem()
	}
	if v.Type() == timeType {
		return FormatTime(v.Interface().(time.Time), format), true
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return FormatFloat(v.Float(), v.Type().Bits()), true
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.IsNil() {
				return "", false
			}
			return base64.StdEncoding.EncodeToString(v.Bytes()), true
		}
	case reflect.Interface:
		if s, isString := v.Interface().(string); isString {
			return s, true
		}
	}
	return "", false
}

// FormatFloat writes a float as AWS does.
func FormatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// FormatTime writes t in format; "" means ISO 8601.
func FormatTime(t time.Time, format string) string {
	t = t.UTC()
	switch format {
	case RFC822:
		return t.Format(http.TimeFormat)
	case UnixTimestamp:
		ms := t.UnixMilli()
		if ms%1000 == 0 {
			return strconv.FormatInt(ms/1000, 10)
		}
		return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
	}
	return t.Format(ISO8601Format)
}
