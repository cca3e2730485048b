// Command livekitconfig loads a LiveKit config file with the LiveKit server's own loader
// (strict, as the server does) and prints what the server would run with, as JSON; for
// each address given after the file, whether turn.deny_peer_cidrs matches it, by Go's
// net.IPNet as the server's TURN permission check does. Nothing is sent anywhere.
//
//	livekitconfig livekit.yaml [address ...]
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/livekit/livekit-server/pkg/config"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: livekitconfig livekit.yaml [address ...]")
		os.Exit(2)
	}
	body, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	conf, err := config.NewConfig(string(body), true, nil, nil)
	if err != nil {
		fail(err)
	}
	if err := conf.ValidateKeys(); err != nil {
		fail(err)
	}
	denied := map[string]bool{}
	for _, address := range os.Args[2:] {
		ip := net.ParseIP(address)
		if ip == nil {
			fail(fmt.Errorf("not an address: %s", address))
		}
		denied[address] = false
		for _, cidr := range conf.TURN.DenyPeerCIDRs {
			if _, network, err := net.ParseCIDR(cidr); err == nil && network.Contains(ip) {
				denied[address] = true
			}
		}
	}
	out, err := json.MarshalIndent(map[string]any{
		"denied":          denied,
		"port":            conf.Port,
		"bind_addresses":  conf.BindAddresses,
		"redis_address":   conf.Redis.Address,
		"use_external_ip": conf.RTC.UseExternalIP,
		"node_ip":         conf.RTC.NodeIP,
		"turn":            conf.TURN,
		"turn_tls":        conf.IsTURNSEnabled(),
		"keys":            len(conf.Keys),
		"webhook_urls":    conf.WebHook.URLs,
	}, "", "  ")
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "livekit config:", err)
	os.Exit(1)
}
