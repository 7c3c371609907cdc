// Command vcsim-peer serves VMware's vCenter simulator (govmomi) over HTTPS on 127.0.0.1 for Hitch's tests, with
// a 2048-bit self-signed certificate (the simulator's own is 1024-bit, which OpenSSL 3 refuses) and one user.
// It prints "listening on URL thumbprint HEX" once ready, writes the certificate to -cert, and stops on SIGTERM.
// The password comes from VCSIM_PASSWORD, never from an argument.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "host:port to serve on")
	username := flag.String("username", "hitch@vsphere.local", "the only user that may log in")
	certPath := flag.String("cert", "", "write the PEM certificate here")
	flag.Parse()
	password := os.Getenv("VCSIM_PASSWORD")
	if password == "" {
		fail("VCSIM_PASSWORD is not set")
	}

	model := simulator.VPX()
	model.Datacenter = 1
	model.Cluster = 1
	model.ClusterHost = 2
	model.Host = 1
	model.Machine = 2
	if err := model.Create(); err != nil {
		fail(err.Error())
	}
	defer model.Remove()

	certificate, der := selfSigned()
	if *certPath != "" {
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		if err := os.WriteFile(*certPath, pemBytes, 0o644); err != nil {
			fail(err.Error())
		}
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{certificate}}
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, password)}
	server := model.Service.NewServer()
	defer server.Close()

	sum := sha256.Sum256(der)
	address := url.URL{Scheme: "https", Host: server.URL.Host, Path: "/sdk"}
	fmt.Printf("listening on %s thumbprint %s\n", address.String(), hex.EncodeToString(sum[:]))

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}

func selfSigned() (tls.Certificate, []byte) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		fail(err.Error())
	}
	template := x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "vcsim.hitch.test", Organization: []string{"Hitch test peer"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost", "vcsim.hitch.test"},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		fail(err.Error())
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "vcsim-peer:", message)
	os.Exit(1)
}
