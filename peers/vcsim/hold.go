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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		if gate, held := holds[soapMethod(body)]; held {
			deadline := time.Now().Add(maximumHold)
			for gateClosed(gate) && time.Now().Before(deadline) {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
		next.ServeHTTP(w, r)
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

// readBody reads a request's body and puts it back for the handlers after; false when it could not be read, and
// the answer saying so has been written.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "could not read the request", http.StatusBadRequest)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}
