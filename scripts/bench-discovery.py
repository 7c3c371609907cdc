#!/usr/bin/env python3
"""The same inventory retrieval as Hitch's discovery, for scripts/bench-discovery to compare with.

  bench-discovery.py pyvmomi HOST:PORT USER   pyVmomi: per type a ContainerView, RetrievePropertiesEx with
                                              maxObjects 500 and ContinueRetrievePropertiesEx, the same properties
  bench-discovery.py curl HOST:PORT USER      the same SOAP requests sent with curl, one after another; prints the
                                              raw transfer: the sum of curl's own times, counting one TLS connection
                                              (Hitch keeps one open; curl opens one per request)

The password comes from stdin. Each prints one line: the tool, seconds, peak RSS and objects per type.
"""
import re
import resource
import subprocess
import sys
import tempfile
import time
import os

# (inventory type, managed object types, properties): the same as HitchPlatforms' InventoryQuery.all.
QUERIES = [
    ("datacenter", ["Datacenter"], ["name", "parent"]),
    ("folder", ["Folder"], ["name", "parent"]),
    ("cluster", ["ClusterComputeResource"], ["name", "parent"]),
    ("host", ["HostSystem"], ["name", "parent", "runtime.connectionState", "runtime.powerState", "config.product.version"]),
    ("resource-pool", ["ResourcePool", "VirtualApp"], ["name", "parent"]),
    ("datastore", ["Datastore"], ["name", "parent", "summary.capacity", "summary.freeSpace", "summary.type"]),
    ("network", ["Network", "DistributedVirtualPortgroup", "OpaqueNetwork"], ["name", "parent"]),
    ("vm", ["VirtualMachine"], [
        "name", "parent", "runtime.powerState", "runtime.host", "config.guestFullName", "config.hardware.numCPU",
        "config.hardware.memoryMB", "config.hardware.device", "config.changeTrackingEnabled", "datastore"]),
]
PAGE = 500


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def with_pyvmomi(host, port, user, password):
    import ssl
    from pyVim.connect import SmartConnect, Disconnect
    from pyVmomi import vim, vmodl

    managed = {
        "Datacenter": vim.Datacenter, "Folder": vim.Folder, "ClusterComputeResource": vim.ClusterComputeResource,
        "HostSystem": vim.HostSystem, "ResourcePool": vim.ResourcePool, "VirtualApp": vim.VirtualApp,
        "Datastore": vim.Datastore, "Network": vim.Network, "DistributedVirtualPortgroup": vim.dvs.DistributedVirtualPortgroup,
        "OpaqueNetwork": vim.OpaqueNetwork, "VirtualMachine": vim.VirtualMachine,
    }
    context = ssl._create_unverified_context()  # a loopback simulator with a self-signed certificate
    started = time.perf_counter()
    si = SmartConnect(host=host, port=port, user=user, pwd=password, sslContext=context)
    content = si.RetrieveContent()
    collector = content.propertyCollector
    counts = {}
    for name, types, properties in QUERIES:
        view = content.viewManager.CreateContainerView(content.rootFolder, [managed[t] for t in types], True)
        traversal = vmodl.query.PropertyCollector.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traversal])],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=managed[t], pathSet=properties) for t in types])
        objects = []
        result = collector.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=PAGE))
        while result is not None:
            objects.extend(result.objects)
            result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        view.Destroy()
        counts[name] = len(objects)
    Disconnect(si)
    return time.perf_counter() - started, counts


ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<soapenv:Body><{method} xmlns="urn:vim25"><_this type="{this_type}">{this}</_this>{body}</{method}>'
            '</soapenv:Body></soapenv:Envelope>')


def with_curl(host, port, user, password):
    directory = tempfile.mkdtemp(prefix="hitch-bench-curl-")
    jar = os.path.join(directory, "cookies")
    transfer = 0.0
    connected = False

    def call(method, this_type, this, body=""):
        nonlocal transfer, connected
        request = os.path.join(directory, "request.xml")
        response = os.path.join(directory, "response.xml")
        with open(request, "w") as handle:
            handle.write(ENVELOPE.format(method=method, this_type=this_type, this=this, body=body))
        timing = subprocess.run(
            ["curl", "-sk", "-b", jar, "-c", jar, "-H", "Content-Type: text/xml; charset=utf-8",
             "-H", 'SOAPAction: "urn:vim25/6.5"', "--data-binary", "@" + request, "-o", response,
             "-w", "%{time_total} %{time_appconnect}", f"https://{host}:{port}/sdk"],
            check=True, capture_output=True, text=True).stdout
        total, handshake = (float(value) for value in timing.split())
        transfer += total if not connected else total - handshake
        connected = True
        with open(response) as handle:
            return handle.read()

    content = call("RetrieveServiceContent", "ServiceInstance", "ServiceInstance")
    root = re.search(r"<rootFolder type=\"Folder\">([^<]+)<", content).group(1)
    call("Login", "SessionManager", "SessionManager",
         f"<userName>{user}</userName><password>{password}</password>")
    counts = {}
    for name, types, properties in QUERIES:
        listed = "".join(f"<type>{t}</type>" for t in types)
        created = call("CreateContainerView", "ViewManager", "ViewManager",
                       f'<container type="Folder">{root}</container>{listed}<recursive>true</recursive>')
        view = re.search(r"<returnval type=\"ContainerView\">([^<]+)<", created).group(1)
        paths = "".join(f"<pathSet>{p}</pathSet>" for p in properties)
        specs = "".join(f"<propSet><type>{t}</type>{paths}</propSet>" for t in types)
        page = call("RetrievePropertiesEx", "PropertyCollector", "propertyCollector",
                    f'<specSet>{specs}<objectSet><obj type="ContainerView">{view}</obj><skip>true</skip>'
                    '<selectSet xsi:type="TraversalSpec"><name>view</name><type>ContainerView</type><path>view</path>'
                    f'<skip>false</skip></selectSet></objectSet></specSet><options><maxObjects>{PAGE}</maxObjects></options>')
        count = page.count("<objects>")
        while (token := re.search(r"<token>([^<]+)</token>", page)):
            page = call("ContinueRetrievePropertiesEx", "PropertyCollector", "propertyCollector",
                        f"<token>{token.group(1)}</token>")
            count += page.count("<objects>")
        call("DestroyView", "ContainerView", view)
        counts[name] = count
    call("Logout", "SessionManager", "SessionManager")
    return transfer, counts


def main():
    tool, address, user = sys.argv[1:4]
    host, port = address.rsplit(":", 1)
    password = sys.stdin.read().strip()
    seconds, counts = (with_pyvmomi if tool == "pyvmomi" else with_curl)(host, int(port), user, password)
    listed = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{tool:8}{seconds:.2f} s  peak RSS {peak_rss_mb()} MB  {listed}")


main()
