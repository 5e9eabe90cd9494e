package container

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// caBundles are where Debian and others keep the CA bundle the runtime
// stand-in copies.
var caBundles = []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}

// TestContainerImage builds the Dockerfile with podman from local stand-in
// base images and runs the image as a user would: --demo, as the image's
// non-root user, read-only root filesystem, a volume for the data dir. It
// checks /readyz, a click-to-call and a delivered webhook through the
// published port, and the image's own HEALTHCHECK run inside it; then, in
// a second container without a PBX, that the non-root user can write its
// store on the volume and that the healthcheck then fails.
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("container image: skipped with -short (it builds the whole image)")
	}
	path, err := exec.LookPath("podman")
	if err != nil {
		t.Skip("container image: podman is not installed, so the Dockerfile is not built here (.ci/run installs podman and runc)")
	}
	if os.Geteuid() != 0 {
		t.Skip("container image: needs root for podman here (rootless podman needs subuid set-up these machines lack)")
	}
	ca := ""
	for _, p := range caBundles {
		if _, err := os.Stat(p); err == nil {
			ca = p
			break
		}
	}
	if ca == "" {
		t.Skip("container image: no CA bundle on this machine to put in the runtime stand-in")
	}
	goroot, modcache := goEnv(t, "GOROOT"), goEnv(t, "GOMODCACHE")

	// The build is slow on a busy machine: use what the test binary's
	// -timeout leaves, minus a minute for the clean-up to run.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	if d, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.Background(), d.Add(-time.Minute))
	}
	defer cancel()
	pm := podman{path: path}
	id := randomHex(t, 6)
	builderImage := "localhost/amigate-test-builder:" + id
	runtimeImage := "localhost/amigate-test-runtime:" + id
	image := "localhost/amigate-test:" + id
	volume := "amigate-test-data-" + id

	// Everything this test creates goes, whatever happens.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, _ := pm.run(ctx, "ps", "-aq", "--filter", "label=amigate-test="+id)
		for _, c := range strings.Fields(out) {
			pm.run(ctx, "rm", "-f", "-t", "0", c)
		}
		pm.run(ctx, "volume", "rm", "-f", volume)
		pm.run(ctx, "rmi", "-f", image, builderImage, runtimeImage)
	})

	// The module graph the build stage downloads from comes from this
	// machine's cache, mounted read-only: fill it first.
	download := exec.CommandContext(ctx, "go", "mod", "download")
	download.Dir = repoRoot(t)
	if out, err := download.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}

	builder, err := builderLayer()
	if err != nil {
		t.Fatal(err)
	}
	importImage(ctx, t, pm, builder, builderImage,
		"ENV PATH=/usr/local/go/bin:/bin",
		"ENV HOME=/root",
		"ENV GOTOOLCHAIN=local",
		"ENV GOPROXY=off",
		"ENV GOFLAGS=-mod=readonly",
		"ENV GOMODCACHE=/gomodcache",
		"ENV GOCACHE=/root/.cache/go-build")
	importImage(ctx, t, pm, runtimeLayer(ca), runtimeImage)

	start := time.Now()
	if _, err := pm.run(ctx, append(append([]string{"build", "--format", "docker", "--pull=never", "--layers=false"}, ulimits...),
		"--build-arg", "BUILDER_IMAGE="+builderImage,
		"--build-arg", "RUNTIME_IMAGE="+runtimeImage,
		"--build-arg", "VERSION=container-test",
		"-v", goroot+":/usr/local/go:ro",
		"-v", modcache+":/gomodcache:ro",
		"-t", image, repoRoot(t))...); err != nil {
		t.Fatal(err)
	}
	t.Logf("podman build: %v", time.Since(start).Round(time.Second))

	cfg := inspectImage(ctx, t, pm, image)
	if cfg.User != "nonroot:nonroot" && cfg.User != "65532:65532" {
		t.Errorf("image runs as %q, want the non-root user", cfg.User)
	}
	if len(cfg.Healthcheck.Test) < 2 || cfg.Healthcheck.Test[0] != "CMD" {
		t.Fatalf("image healthcheck %q: want an exec-form CMD (distroless has no shell)", cfg.Healthcheck.Test)
	}
	health := cfg.Healthcheck.Test[1:]

	secret := randomHex(t, 32)
	t.Run("demo", func(t *testing.T) {
		ctr, base := runContainer(ctx, t, pm, id, image, volume, secret, nil, "--demo")
		waitFor(ctx, t, "/readyz 200", func() error { return wantStatus(base+"/readyz", http.StatusOK) })
		if _, err := pm.run(ctx, append([]string{"exec", ctr}, health...)...); err != nil {
			t.Errorf("the image's healthcheck %q inside a ready container: %v", health, err)
		}
		if out, err := pm.run(ctx, "top", ctr, "user", "huser"); err != nil {
			t.Error(err)
		} else if !strings.Contains(out, "65532") && !strings.Contains(out, "nonroot") {
			t.Errorf("the service's process runs as:\n%s\nwant the non-root user", out)
		}

		status, body := postCall(t, base, token(t, secret))
		if status != http.StatusAccepted {
			t.Fatalf("POST /v1/calls through the container's port: %d %s", status, body)
		}
		var call struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &call); err != nil || call.ID == "" {
			t.Fatalf("POST /v1/calls: no call id in %s (%v)", body, err)
		}
		// The demo subscribes its inspector: the call's webhook has been
		// delivered, signed, once it lists it as verified.
		waitFor(ctx, t, "a verified webhook of call "+call.ID, func() error { return verifiedWebhook(base, call.ID) })
	})

	t.Run("store on the volume", func(t *testing.T) {
		// No PBX: the service starts, opens its store on the volume as
		// the non-root user, and is not ready for the AMI's sake only.
		ctr, base := runContainer(ctx, t, pm, id, image, volume, secret,
			[]string{"-e", "AMIGATE_AMI_ADDR=127.0.0.1:1", "-e", "AMIGATE_AMI_USERNAME=amigate", "-e", "AMIGATE_AMI_SECRET=amigate"})
		waitFor(ctx, t, "/readyz naming only the manager", func() error {
			resp, err := http.Get(base + "/readyz")
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			switch {
			case resp.StatusCode != http.StatusServiceUnavailable:
				return fmt.Errorf("%d %s, want 503", resp.StatusCode, b)
			case bytes.Contains(b, []byte("event store")):
				return fmt.Errorf("the store is not writable: %s", b)
			case !bytes.Contains(b, []byte("asterisk manager")):
				return fmt.Errorf("%s: want the manager named", b)
			}
			return nil
		})
		if _, err := pm.run(ctx, append([]string{"exec", ctr}, health...)...); err == nil {
			t.Errorf("the image's healthcheck %q passed in a container that is not ready", health)
		}
		mount, err := pm.run(ctx, "volume", "inspect", "--format", "{{.Mountpoint}}", volume)
		if err != nil {
			t.Fatal(err)
		}
		owned := 0
		filepath.WalkDir(strings.TrimSpace(mount), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && ownerOf(p) == 65532 {
				owned++
			}
			return nil
		})
		if owned == 0 {
			t.Errorf("no file written by the non-root user (65532) on the data volume at %s", mount)
		}
	})
}

// runContainer starts the image detached with the service's port published
// on a free loopback port, and returns the container's id and the base URL.
// opts go to podman run, cmd to the service.
func runContainer(ctx context.Context, t *testing.T, pm podman, id, image, volume, secret string, opts []string, cmd ...string) (string, string) {
	t.Helper()
	port := freePort(t)
	run := append([]string{"run", "-d", "--label", "amigate-test=" + id, "--read-only",
		"-v", volume + ":/data", "-p", "127.0.0.1:" + strconv.Itoa(port) + ":8080",
		"-e", "AMIGATE_JWT_SECRET=" + secret}, ulimits...)
	run = append(append(append(run, opts...), image), cmd...)
	out, err := pm.run(ctx, run...)
	if err != nil {
		t.Fatal(err)
	}
	ctr := strings.TrimSpace(out)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := pm.run(context.Background(), "logs", ctr)
			t.Logf("container log:\n%s", tail(logs, 8000))
		}
		pm.run(context.Background(), "rm", "-f", "-t", "2", ctr)
	})
	return ctr, "http://127.0.0.1:" + strconv.Itoa(port)
}

// imageConfig is the part of `podman image inspect` the test reads.
type imageConfig struct {
	User        string
	Healthcheck struct {
		Test []string
	}
}

func inspectImage(ctx context.Context, t *testing.T, pm podman, image string) imageConfig {
	t.Helper()
	out, err := pm.run(ctx, "image", "inspect", image)
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Config      imageConfig
		Healthcheck *struct{ Test []string }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
		t.Fatalf("podman image inspect: %v\n%s", err, out)
	}
	cfg := got[0].Config
	if len(cfg.Healthcheck.Test) == 0 && got[0].Healthcheck != nil {
		cfg.Healthcheck.Test = got[0].Healthcheck.Test
	}
	return cfg
}

func importImage(ctx context.Context, t *testing.T, pm podman, l *layer, name string, changes ...string) {
	t.Helper()
	var tarball bytes.Buffer
	if err := l.writeTar(&tarball); err != nil {
		t.Fatal(err)
	}
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	if _, err := pm.runInput(ctx, tarball.Bytes(), append(args, "-", name)...); err != nil {
		t.Fatal(err)
	}
}

func postCall(t *testing.T, base, tok string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/calls", strings.NewReader(`{"from": "101", "to": "+7 (900) 123-45-67"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body
}

// verifiedWebhook is nil once the demo's inspector lists a webhook of the
// call whose signature it verified.
func verifiedWebhook(base, callID string) error {
	resp, err := http.Get(base + "/demo/webhooks")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var got []struct {
		Verified bool            `json:"signature_verified"`
		Body     json.RawMessage `json:"body"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&got); err != nil {
		return err
	}
	for _, w := range got {
		var env struct {
			Call struct {
				ID string `json:"id"`
			} `json:"call"`
		}
		if json.Unmarshal(w.Body, &env) == nil && env.Call.ID == callID && w.Verified {
			return nil
		}
	}
	return fmt.Errorf("%d webhooks received, none verified for the call", len(got))
}

func wantStatus(url string, want int) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s answered %d", url, resp.StatusCode)
	}
	return nil
}

// waitFor polls cond until it returns nil or two minutes pass (a container
// on a busy machine starts slowly); it fails with cond's last answer.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within the deadline: %v", what, errors.Join(err, ctx.Err()))
		case <-tick.C:
		}
	}
}

// token is an HS256 token with every scope, made with golang-jwt rather
// than the product's own minting code.
func token(t *testing.T, secret string) string {
	t.Helper()
	now := time.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "container-test", "scope": "calls:read calls:write",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil {
		t.Fatalf("no Dockerfile at the repository's root %s: %v", dir, err)
	}
	return dir
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
