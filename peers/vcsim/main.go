// Command vcsim-peer serves VMware's vCenter simulator (govmomi) over HTTPS on 127.0.0.1 for Hitch's tests, with
// a 2048-bit self-signed certificate (the simulator's own is 1024-bit, which OpenSSL 3 refuses).
//
// Users: by default one, whose password comes from VCSIM_PASSWORD (never from an argument), with the Admin role
// at the root folder. With -users FILE, the users, passwords and grants come from a JSON file instead (see
// users.go); the file is read again at every login, so a test can change a password as an administrator would.
// HasPrivilegeOnEntities answers from those grants (the simulator's own answers "granted" to everything).
//
// RetrievePropertiesEx pages as vCenter does (see paging.go). -delay slows methods down; -hold keeps their calls
// waiting while a gate file exists (see hold.go).
//
// It prints "counts {JSON}" (how many objects of each type the model holds, as a recursive ContainerView on the
// root folder reports them) and then "listening on URL thumbprint HEX" once ready, writes the certificate to
// -cert, and stops on SIGTERM. -calls names a file that each method called is appended to; -keep-cert keeps the
// certificate across restarts (see calls.go).
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "host:port to serve on")
	username := flag.String("username", "hitch@vsphere.local", "the only user that may log in (without -users)")
	usersPath := flag.String("users", "", "JSON file of users and their grants, read at every login")
	certPath := flag.String("cert", "", "write the PEM certificate here")
	datacenters := flag.Int("datacenters", 1, "datacenters")
	clusters := flag.Int("clusters", 1, "clusters per datacenter")
	clusterHosts := flag.Int("cluster-hosts", 2, "hosts per cluster")
	hosts := flag.Int("hosts", 1, "standalone hosts per datacenter")
	machines := flag.Int("vms", 2, "virtual machines per resource pool")
	pools := flag.Int("pools", 0, "child resource pools per cluster")
	folders := flag.Int("folders", 0, "datacenters placed within a folder")
	delays := flag.String("delay", "", "METHOD=MILLISECONDS[,METHOD=MILLISECONDS...]: slow these methods down")
	holdSpec := flag.String("hold", "", "METHOD=PATH[,METHOD=PATH...]: calls of METHOD wait while the file PATH exists")
	callsPath := flag.String("calls", "", "append the name of every method called to this file")
	keepCert := flag.String("keep-cert", "", "keep the certificate and key in this file, and present them again after a restart")
	flag.IntVar(&defaultPageSize, "page-size", defaultPageSize, "objects per RetrievePropertiesEx page without maxObjects")
	flag.Parse()

	users, err := loadUsers(*usersPath, *username)
	if err != nil {
		fail(err.Error())
	}

	holds, err := parseHolds(*holdSpec)
	if err != nil {
		fail(err.Error())
	}

	model := simulator.VPX()
	model.Datacenter = *datacenters
	model.Cluster = *clusters
	model.ClusterHost = *clusterHosts
	model.Host = *hosts
	model.Machine = *machines
	model.Pool = *pools
	model.Folder = *folders
	model.DelayConfig.MethodDelay, err = parseDelays(*delays)
	if err != nil {
		fail(err.Error())
	}
	if err := model.Create(); err != nil {
		fail(err.Error())
	}
	defer model.Remove()
	if err := grant(users); err != nil {
		fail(err.Error())
	}
	installPagingCollector()

	certificate, der := selfSigned()
	if *keepCert != "" {
		certificate, der = keptCertificate(*keepCert)
	}
	if *certPath != "" {
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		if err := os.WriteFile(*certPath, pemBytes, 0o644); err != nil {
			fail(err.Error())
		}
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{certificate}}
	// The simulator accepts any non-empty login without a Listen user; checkLogins refuses the wrong ones first.
	model.Service.Listen = &url.URL{Host: *listen}
	server := model.Service.NewServer()
	defer server.Close()
	server.Server.Config.Handler = recordCalls(holdMethods(checkLogins(server.Server.Config.Handler, users), holds), *callsPath)

	counts, _ := json.Marshal(inventoryCounts())
	fmt.Printf("counts %s\n", counts)
	sum := sha256.Sum256(der)
	address := url.URL{Scheme: "https", Host: server.URL.Host, Path: "/sdk"}
	fmt.Printf("listening on %s thumbprint %s\n", address.String(), hex.EncodeToString(sum[:]))

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}

// parseDelays reads "RetrievePropertiesEx=300,Login=10".
func parseDelays(text string) (map[string]int, error) {
	delays := map[string]int{}
	if text == "" {
		return delays, nil
	}
	for _, part := range strings.Split(text, ",") {
		method, value, found := strings.Cut(part, "=")
		milliseconds, err := strconv.Atoi(value)
		if !found || err != nil || milliseconds < 0 {
			return nil, fmt.Errorf("-delay: expected METHOD=MILLISECONDS, got %q", part)
		}
		delays[method] = milliseconds
	}
	return delays, nil
}

// inventoryCounts counts what a recursive ContainerView on the root folder holds, per type Hitch reads: the root
// folder itself is not in its own view; networks include port groups, resource pools include vApps.
func inventoryCounts() map[string]int {
	types := map[string][]string{
		"datacenter":    {"Datacenter"},
		"cluster":       {"ClusterComputeResource"},
		"host":          {"HostSystem"},
		"resource-pool": {"ResourcePool", "VirtualApp"},
		"datastore":     {"Datastore"},
		"folder":        {"Folder"},
		"network":       {"Network", "DistributedVirtualPortgroup", "OpaqueNetwork"},
		"vm":            {"VirtualMachine"},
	}
	counts := map[string]int{}
	for name, kinds := range types {
		for _, kind := range kinds {
			counts[name] += len(simulator.Map.All(kind))
		}
	}
	counts["folder"]-- // the root folder
	return counts
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
