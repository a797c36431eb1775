package sns

import (
	"sync"
	"time"
)

// throttle keeps an HTTP/S subscription's deliveries within its delivery
// policy's maxReceivesPerSecond: at most that many in any second. It
// lives in memory: after a restart every subscription starts afresh.
type throttle struct {
	mu   sync.Mutex
	sent map[string][]time.Time // per subscription, the sends of the last second, oldest first
}

// admit reports how long a delivery to key must wait (zero: it may go
// now, and is counted).
func (t *throttle) admit(key string, rate int, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sent == nil {
		t.sent = map[string][]time.Time{}
	}
	recent := t.sent[key]
	i := 0
	for i < len(recent) && !recent[i].After(now.Add(-time.Second)) {
		i++
	}
	recent = recent[i:]
	if len(recent) >= rate {
		t.sent[key] = recent
		return recent[len(recent)-rate].Add(time.Second).Sub(now)
	}
	t.sent[key] = append(recent, now)
	return 0
}
