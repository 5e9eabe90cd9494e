// Command healthcheck is the Docker HEALTHCHECK of the amigate image: the
// final image is distroless (no shell, no curl), so this static binary asks
// the service's /readyz and exits 0 only on 200. It reads the port from
// AMIGATE_HTTP_ADDR (default :8080) and always asks 127.0.0.1.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := check(ctx, os.Getenv("AMIGATE_HTTP_ADDR")); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

// check asks http://127.0.0.1:<port of addr>/readyz and wants a 200.
func check(ctx context.Context, addr string) error {
	if addr == "" {
		addr = ":8080"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("AMIGATE_HTTP_ADDR: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz answered %s", resp.Status)
	}
	return nil
}
