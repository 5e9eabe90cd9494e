package webhooks

import "net/netip"

// Ranges that are not public unicast but that netip's predicates miss.
var refusedPrefixes = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT) or cloud metadata address"}, // Alibaba's 100.100.100.200
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol or cloud metadata address"},               // Oracle's 192.0.0.192
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast address"},
	{netip.MustParsePrefix("168.63.129.16/32"), "cloud metadata address"}, // Azure's host endpoint (WireServer)
	{netip.MustParsePrefix("fec0::/10"), "site-local address"},
	{netip.MustParsePrefix("100::/64"), "discard address"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation address"},
	{netip.MustParsePrefix("3fff::/20"), "documentation address"},
	{netip.MustParsePrefix("2001:2::/48"), "benchmarking address"},
	// A NAT64 local-use address carries its IPv4 address at whichever
	// RFC 6052 position the site chose: which one cannot be told, so the
	// range is refused whole, like a private one.
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64 local-use address"},
}

// IPv6 ranges whose addresses carry an IPv4 address, which is where a
// packet to them ends up: each is judged by what it embeds.
var (
	v4Compatible = netip.MustParsePrefix("::/96")           // deprecated IPv4-compatible ::a.b.c.d
	v4Translated = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT ::ffff:0:a.b.c.d
	nat64        = netip.MustParsePrefix("64:ff9b::/96")    // NAT64 well-known prefix
	sixTo4       = netip.MustParsePrefix("2002::/16")       // 6to4: 2002:aabb:ccdd::
	teredo       = netip.MustParsePrefix("2001::/32")       // Teredo: server, then the client XORed with 0xff
)

// embeddedIPv4 returns the IPv4 addresses an IPv6 address carries (the
// IPv4-mapped form is unmapped by the caller).
func embeddedIPv4(a netip.Addr) []netip.Addr {
	b := a.As16()
	v4 := func(x0, x1, x2, x3 byte) netip.Addr { return netip.AddrFrom4([4]byte{x0, x1, x2, x3}) }
	switch {
	case v4Compatible.Contains(a), v4Translated.Contains(a), nat64.Contains(a):
		return []netip.Addr{v4(b[12], b[13], b[14], b[15])}
	case sixTo4.Contains(a):
		return []netip.Addr{v4(b[2], b[3], b[4], b[5])}
	case teredo.Contains(a):
		return []netip.Addr{
			v4(b[4], b[5], b[6], b[7]),         // the Teredo server
			v4(^b[12], ^b[13], ^b[14], ^b[15]), // the client, obfuscated
		}
	}
	return nil
}

// refusal says why a is not a public unicast address, or "" when it is.
// Addresses that embed an IPv4 address (IPv4-mapped, IPv4-compatible,
// SIIT, NAT64, 6to4, Teredo) are judged by it, so none can smuggle
// 127.0.0.1 or a metadata address past the check.
func refusal(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	switch {
	case !a.IsValid():
		return "invalid address"
	case a.IsLoopback():
		return "loopback address"
	case a.IsUnspecified():
		return "unspecified address"
	case a.IsLinkLocalUnicast():
		return "link-local or cloud metadata address"
	case a.IsPrivate():
		return "private address"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast address"
	}
	for _, r := range refusedPrefixes {
		if r.p.Contains(a) {
			return r.why
		}
	}
	if a.Is6() {
		for _, e := range embeddedIPv4(a) {
			if why := refusal(e); why != "" {
				return why + " (embedded in " + a.String() + ")"
			}
		}
	}
	return ""
}
