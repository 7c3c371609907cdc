package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// maximumHold bounds how long a held method waits, so that a test that never opens its gate cannot hang the
// simulator for good.
const maximumHold = 5 * time.Minute

// parseHolds reads "ContinueRetrievePropertiesEx=/tmp/gate[,METHOD=PATH...]".
func parseHolds(text string) (map[string]string, error) {
	holds := map[string]string{}
	if text == "" {
		return holds, nil
	}
	for _, part := range strings.Split(text, ",") {
		method, path, found := strings.Cut(part, "=")
		if !found || method == "" || path == "" {
			return nil, fmt.Errorf("-hold: expected METHOD=PATH, got %q", part)
		}
		holds[method] = path
	}
	return holds, nil
}

// holdMethods makes each call of a held method wait while its gate file exists: a test closes the gate (creates
// the file) to keep a client inside that call for as long as it needs, and opens it (removes the file) to let the
// call go on. Unlike a delay, it does not depend on how fast the machine is.
func holdMethods(next http.Handler, holds map[string]string) http.Handler {
	if len(holds) == 0 {
		return next
	}
	return beforeCalls(next, func(_ http.ResponseWriter, r *http.Request, body []byte) bool {
		gate, held := holds[soapMethod(body)]
		if !held {
			return true
		}
		deadline := time.Now().Add(maximumHold)
		for gateClosed(gate) && time.Now().Before(deadline) {
			select {
			case <-r.Context().Done():
				return false
			case <-time.After(20 * time.Millisecond):
			}
		}
		return true
	})
}

func gateClosed(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// soapMethod is the name of the first element inside the SOAP envelope's Body: the method called.
func soapMethod(body []byte) string {
	decoder := xml.NewDecoder(bytes.NewReader(body))
	inBody := false
	for {
		token, err := decoder.Token()
		if err != nil {
			return ""
		}
		if element, ok := token.(xml.StartElement); ok {
			if inBody {
				return element.Name.Local
			}
			inBody = element.Name.Local == "Body"
		}
	}
}

// beforeCalls runs inspect on each SOAP call's body before next handles the call; inspect returns false when the
// call goes no further (it has answered, or the client has gone).
func beforeCalls(next http.Handler, inspect func(http.ResponseWriter, *http.Request, []byte) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "could not read the request", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if !inspect(w, r, body) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
