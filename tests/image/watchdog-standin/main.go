// Command fwatchdog here is a stand-in for of-watchdog's mode=http, used by the image tests only when
// the real ghcr.io/openfaas/of-watchdog image cannot be had on the machine. It copies the behaviour that
// docs/openfaas-facts.md records for of-watchdog 0.11.x (which the template relies on), no more:
//   - fprocess (alias function_process, which wins) split on single spaces, forked before listening;
//     the child's stdout/stderr relayed line by line (prefix_logs=false style);
//   - port (8080), upstream_url (alias http_upstream_url), exec_timeout (504 on expiry), read_timeout,
//     write_timeout, healthcheck_interval (default write_timeout), ready_path;
//   - /tmp/.lock written once listening; /_/health 200, 503 after SIGTERM; /_/ready relays ready_path;
//   - SIGTERM: forwarded to the child at once, keep serving for healthcheck_interval, then stop
//     listening, wait up to write_timeout for in-flight requests, exit 0;
//   - the child exiting non-zero or by a signal makes it exit 1.
// Images built with it are test images: the template's Dockerfile uses the real watchdog by default.
package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func env(names ...string) string {
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok && v != "" {
			return v
		}
	}
	return ""
}

func duration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	return def
}

var accepting int32

func lockPath() string { return filepath.Join(os.TempDir(), ".lock") }

func relay(r io.Reader, w io.Writer) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 64*1024)
	for s.Scan() {
		w.Write(append(s.Bytes(), '\n'))
	}
}

func main() {
	log.SetFlags(log.LstdFlags)
	fprocess := env("function_process", "fprocess")
	if fprocess == "" {
		log.Fatal(`Provide a "function_process" or "fprocess" environmental variable for your function.`)
	}
	upstream := strings.TrimRight(env("http_upstream_url", "upstream_url"), "/")
	if upstream == "" {
		log.Fatal(`For "mode=http" you must specify a valid URL for "http_upstream_url"`)
	}
	port := env("port")
	if port == "" {
		port = "8080"
	}
	readTimeout := duration("read_timeout", 30*time.Second)
	writeTimeout := duration("write_timeout", 30*time.Second)
	execTimeout := duration("exec_timeout", 30*time.Second)
	interval := duration("healthcheck_interval", writeTimeout)
	readyPath := os.Getenv("ready_path")

	parts := strings.Split(fprocess, " ")
	cmd := exec.Command(parts[0], parts[1:]...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	log.Printf("Forking: %s, arguments: %s", parts[0], parts[1:])
	if err := cmd.Start(); err != nil {
		log.Fatalf("Error starting function: %v", err)
	}
	go relay(stdout, os.Stdout)
	go relay(stderr, os.Stderr)
	go func() {
		err := cmd.Wait()
		if err != nil {
			log.Printf("Forked function has terminated: %v", err)
			os.Exit(1)
		}
		log.Printf("Forked function exited 0")
	}()

	client := &http.Client{Transport: &http.Transport{DisableCompression: true,
		ExpectContinueTimeout: 1500 * time.Millisecond}}
	proxy := func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), execTimeout)
		defer cancel()
		var body io.Reader
		if r.ContentLength != 0 && r.Body != nil {
			body = r.Body
		}
		req, err := http.NewRequestWithContext(ctx, r.Method, upstream+r.URL.RequestURI(), body)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		for k, v := range r.Header {
			req.Header[k] = v
		}
		req.Host = r.Host
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				w.Header().Set("X-OpenFaaS-Internal", "of-watchdog")
				w.WriteHeader(http.StatusGatewayTimeout)
				log.Printf("Upstream HTTP killed due to exec_timeout: %s", execTimeout)
				return
			}
			log.Printf("Upstream HTTP request error: %v", err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		defer res.Body.Close()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
		log.Printf("%s %s - %s - (%.4fs)", r.Method, r.RequestURI, res.Status, time.Since(start).Seconds())
	}

	// healthy answers 405 or 503 itself and returns false unless r is a GET while the lock file
	// exists and the watchdog still accepts work (both /_/health and /_/ready start so).
	healthy := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return false
		}
		if _, err := os.Stat(lockPath()); err != nil || atomic.LoadInt32(&accepting) == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return false
		}
		return true
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/_/health", func(w http.ResponseWriter, r *http.Request) {
		if !healthy(w, r) {
			return
		}
		w.Write([]byte("OK"))
	})
	mux.HandleFunc("/_/ready", func(w http.ResponseWriter, r *http.Request) {
		if !healthy(w, r) {
			return
		}
		if readyPath == "" {
			w.WriteHeader(http.StatusOK)
			return
		}
		res, err := client.Get(upstream + readyPath)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
	mux.HandleFunc("/", proxy)

	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadTimeout: readTimeout, WriteTimeout: writeTimeout,
		MaxHeaderBytes: 1 << 20}
	done := make(chan struct{})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		<-sig
		log.Printf("SIGTERM: no new connections in %s", interval)
		if cmd.Process != nil {
			cmd.Process.Signal(syscall.SIGTERM)
		}
		atomic.StoreInt32(&accepting, 0)
		os.Remove(lockPath())
		time.Sleep(interval)
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		srv.Shutdown(ctx)
		log.Printf("Exiting.")
		close(done)
	}()
	go func() {
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			log.Printf("Error ListenAndServe: %v", err)
			os.Exit(1)
		}
	}()
	log.Printf("Listening on port: %s", port)
	if err := os.WriteFile(lockPath(), nil, 0o660); err != nil {
		os.Exit(0) // as of-watchdog does when the lock file cannot be written
	}
	atomic.StoreInt32(&accepting, 1)
	<-done
}
