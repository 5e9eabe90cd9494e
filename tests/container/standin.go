// Package container builds the service's real Dockerfile with podman and
// runs the image, as a user's first `docker build && docker run` would.
// Registries are out of reach here, so the base images are stand-ins
// assembled from this machine (see standin.go); the Dockerfile takes them
// as build arguments.
package container

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// layer is the content of a stand-in base image: directories and files
// written into one tarball for `podman import`.
type layer struct {
	dirs  map[string]int64  // path → mode
	files map[string]string // path in the image → file on this machine
	text  map[string]string // path in the image → content
}

func newLayer() *layer {
	return &layer{dirs: map[string]int64{}, files: map[string]string{}, text: map[string]string{}}
}

// runtimeLayer is what gcr.io/distroless/static-debian12:nonroot offers and
// nothing more: /tmp, the CA bundle, passwd and group with root, nobody and
// nonroot (65532), and nonroot's home. No shell, no libc: a binary that is
// not static, or a healthcheck that needs a shell, fails here as it would
// there.
func runtimeLayer(caBundle string) *layer {
	l := newLayer()
	l.dirs["tmp"] = 0o1777
	l.dirs["home/nonroot"] = 0o700
	l.files["etc/ssl/certs/ca-certificates.crt"] = caBundle
	l.text["etc/passwd"] = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	l.text["etc/group"] = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
	return l
}

// builderLayer is the smallest builder the Dockerfile's build stage runs
// in: a shell and mkdir (with the libraries they load) for its RUN lines.
// The Go toolchain and the module cache are not copied: the build mounts
// them read-only from this machine.
func builderLayer() (*layer, error) {
	l := newLayer()
	l.dirs["tmp"] = 0o1777
	l.dirs["root"] = 0o700
	l.text["etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\n"
	l.text["etc/group"] = "root:x:0:\n"
	for _, tool := range []string{"/bin/sh", "/bin/mkdir"} {
		libs, err := sharedLibraries(tool)
		if err != nil {
			return nil, err
		}
		for _, p := range append(libs, tool) {
			l.files[strings.TrimPrefix(p, "/")] = p
		}
	}
	return l, nil
}

// sharedLibraries lists the libraries a dynamically linked program loads,
// as ldd prints them.
func sharedLibraries(program string) ([]string, error) {
	out, err := exec.Command("ldd", program).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", program, err)
	}
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
		// "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
		f := strings.Fields(sc.Text())
		for i, w := range f {
			if strings.HasPrefix(w, "/") && (i == 0 || f[i-1] == "=>") {
				libs = append(libs, w)
			}
		}
	}
	return libs, nil
}

// writeTar writes the layer as a tarball: parent directories first, files
// with the content of what they point at (symbolic links followed), all
// owned by root.
func (l *layer) writeTar(w io.Writer) error {
	dirs := map[string]int64{}
	for d, m := range l.dirs {
		dirs[d] = m
	}
	paths := slices.Concat(keys(l.files), keys(l.text))
	for _, p := range append(paths, keys(l.dirs)...) {
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			if _, ok := dirs[d]; !ok {
				dirs[d] = 0o755
			}
		}
	}
	tw := tar.NewWriter(w)
	ds := keys(dirs)
	slices.Sort(ds) // a parent sorts before its children
	for _, d := range ds {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: dirs[d]}); err != nil {
			return err
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		body, mode := []byte(l.text[p]), int64(0o644)
		if src, ok := l.files[p]; ok {
			fi, err := os.Stat(src)
			if err != nil {
				return err
			}
			if body, err = os.ReadFile(src); err != nil {
				return err
			}
			mode = int64(fi.Mode().Perm())
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(body))}); err != nil {
			return err
		}
		if _, err := tw.Write(body); err != nil {
			return err
		}
	}
	return tw.Close()
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
