package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"sync"
)

// recordCalls appends the name of every method called to the file at path, one a line, before it runs: a test
// reads it to see which calls reached the simulator (none, when a client refused its certificate first).
func recordCalls(next http.Handler, path string) http.Handler {
	if path == "" {
		return next
	}
	var lock sync.Mutex
	return beforeCalls(next, func(_ http.ResponseWriter, _ *http.Request, body []byte) bool {
		lock.Lock()
		defer lock.Unlock()
		file, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintln(file, soapMethod(body))
			file.Close()
		}
		return true
	})
}

// keptCertificate loads the certificate and key kept at path, or makes them and keeps them there: a simulator
// restarted with the same -keep-cert presents the same certificate, as a restarted vCenter does.
func keptCertificate(path string) (tls.Certificate, []byte) {
	if pemBytes, err := os.ReadFile(path); err == nil {
		certificate, err := tls.X509KeyPair(pemBytes, pemBytes)
		if err != nil {
			fail("-keep-cert: " + err.Error())
		}
		return certificate, certificate.Certificate[0]
	}
	certificate, der := selfSigned()
	keyDER, err := x509.MarshalPKCS8PrivateKey(certificate.PrivateKey)
	if err != nil {
		fail(err.Error())
	}
	pemBytes := append(
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		fail(err.Error())
	}
	return certificate, der
}
