package s3

import (
	"time"
)

// applyLockDefaults validates a new object's Object Lock settings and
// applies the bucket's default retention.
func applyLockDefaults(b *bucketRecord, rec *objectRecord) error {
	explicit := rec.LockMode != "" || !rec.LockRetainUntil.IsZero() || rec.LegalHold != ""
	if explicit && !b.ObjectLockEnabled {
		return errInvalidRequest.New("Bucket is missing Object Lock Configuration")
	}
	if (rec.LockMode == "") != rec.LockRetainUntil.IsZero() {
		return errInvalidArgument.New("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	if rec.LockMode != "" && rec.LockMode != "GOVERNANCE" && rec.LockMode != "COMPLIANCE" {
		return errInvalidArgument.New("Unknown wormMode directive.")
	}
	if rec.LegalHold != "" && rec.LegalHold != "ON" && rec.LegalHold != "OFF" {
		return errInvalidArgument.New("Legal Hold must be either of 'ON' or 'OFF'")
	}
	if !rec.LockRetainUntil.IsZero() && !rec.LockRetainUntil.After(rec.LastModified) {
		return errInvalidArgument.New("The retain until date must be in the future!")
	}
	if rec.LockMode == "" && b.ObjectLock != nil && b.ObjectLock.Rule != nil && b.ObjectLock.Rule.DefaultRetention != nil {
		d := b.ObjectLock.Rule.DefaultRetention
		rec.LockMode = deref(d.Mode)
		switch {
		case d.Days != nil:
			rec.LockRetainUntil = rec.LastModified.Add(time.Duration(*d.Days) * 24 * time.Hour)
		case d.Years != nil:
			rec.LockRetainUntil = rec.LastModified.AddDate(int(*d.Years), 0, 0)
		}
	}
	return nil
}

// lockedAgainstDelete reports whether Object Lock forbids removing this
// version now.
func lockedAgainstDelete(rec *objectRecord, now time.Time, bypassGovernance bool) bool {
	if rec.LegalHold == "ON" {
		return true
	}
	if rec.LockMode == "" || !now.Before(rec.LockRetainUntil) {
		return false
	}
	return rec.LockMode == "COMPLIANCE" || !bypassGovernance
}
