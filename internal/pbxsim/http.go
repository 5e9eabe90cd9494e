package pbxsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Handler returns the simulator's control API for the demo, to mount under
// a prefix with http.StripPrefix:
//
//	POST /calls  {"did":"5550100","from":"79001234567","name":"Ivan","hangup_after_seconds":20}
//	             → 201 {"linkedid":"..."}: a customer calls a DID (queue support)
//	GET  /       → 200 {"channels":N,"connections":N,"dids":[...]}
//	POST /calls/{linkedid}/hangup → 204: the caller hangs up now (404: no such call)
//	POST /drop   → 204: closes every AMI connection (to watch the reconnect)
func (p *PBX) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /calls", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			DID          string  `json:"did"`
			From         string  `json:"from"`
			Name         string  `json:"name"`
			HangupAfterS float64 `json:"hangup_after_seconds"`
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON: " + err.Error()})
			return
		}
		if req.DID == "" {
			req.DID = "5550100"
		}
		id, err := p.IncomingCall(r.Context(), Incoming{DID: req.DID, From: req.From, Name: req.Name,
			HangupAfter: time.Duration(req.HangupAfterS * float64(time.Second))})
		switch {
		case errors.Is(err, ErrUnknownDID), errors.Is(err, ErrBadValue):
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
		case err != nil:
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		default:
			writeJSON(w, http.StatusCreated, map[string]string{"linkedid": id})
		}
	})
	mux.HandleFunc("POST /calls/{linkedid}/hangup", func(w http.ResponseWriter, r *http.Request) {
		if err := p.HangupCall(r.PathValue("linkedid")); err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /drop", func(w http.ResponseWriter, r *http.Request) {
		p.DropConnections()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		dids := make([]DID, len(p.office.DIDs))
		copy(dids, p.office.DIDs)
		writeJSON(w, http.StatusOK, map[string]any{"channels": p.ActiveChannels(), "connections": p.Connections(), "dids": dids})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
