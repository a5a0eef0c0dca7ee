// PodlabDNS: cluster DNS as CoreDNS's kubernetes plugin answers it, as pure functions of the objects. No sockets
// and no syscalls: the server that owns the sockets calls `DNSResponder.respond(to:over:snapshot:)` (its doc
// comment, in Answer/DNSResponder.swift, lists the API and the behaviour choices).
//
//   Wire/     the RFC 1035 / 6891 codec: names (compression, pointer checks), records, EDNS, TCP framing
//   Records/  DNSConfig, and DNSRecordsBuilder: Services, EndpointSlices, Pods, Namespaces -> DNSSnapshot
//   Answer/   DNSResponder: a packet and a snapshot -> a reply, a forward or a drop; DNSRelay for the upstream
