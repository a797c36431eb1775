package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Paths of the health endpoints. The LocalStack one is what existing tools
// (wait scripts, test containers, awslocal) probe; its shape, a "services"
// map of name to "running"/"available", must stay.
const (
	healthPath          = "/_nimbus/health"
	localstackHealthPth = "/_localstack/health"
)

type health struct {
	Services map[string]string `json:"services"`
	Edition  string            `json:"edition"`
	Version  string            `json:"version"`
}

// serveInternal answers the gateway's own paths: the health endpoints, and
// everything else under /_nimbus/ and /_localstack/ through
// Config.Internal. It returns true when the path was one of them.
func (g *Gateway) serveInternal(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/_nimbus/") && !strings.HasPrefix(p, "/_localstack/") {
		return false
	}
	if p == healthPath || p == localstackHealthPth || p == healthPath+"/" || p == localstackHealthPth+"/" {
		g.serveHealth(w, r)
		return true
	}
	if g.cfg.Internal != nil {
		g.cfg.Internal.ServeHTTP(w, r)
		return true
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "not found: " + p})
	return true
}

func (g *Gateway) serveHealth(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		genericCORS(w, r)
		return
	default:
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
		return
	}
	h := health{Services: map[string]string{}, Edition: "community", Version: g.cfg.Version}
	if h.Version == "" {
		h.Version = "dev"
	}
	for _, e := range g.reg.all {
		h.Services[e.Model.Name] = "running"
	}
	genericCORS(w, r)
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
