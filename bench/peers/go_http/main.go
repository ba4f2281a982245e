// Command go_http is the Go peer for the HTTP runtime comparison: a net/http server shaped
// like the golang-http template's runtime (read/write timeouts from the watchdog's variables,
// a value-returning handler, graceful shutdown on SIGTERM) answering a small JSON document on
// every path. It listens on FN_ADDR:FN_PORT (default 127.0.0.1:8082) and sends BENCH_BODY
// (default {"status":"ok"}) as application/json.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const maxBodyBytes = 1 << 20

type response struct {
	status int
	body   []byte
	header http.Header
}

// handle is the function: value in, value out.
func handle(body []byte, payload []byte) (response, error) {
	_ = body
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return response{status: http.StatusOK, body: payload, header: h}, nil
}

func durationEnv(name string, def time.Duration) (time.Duration, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

func run() error {
	addr := os.Getenv("FN_ADDR")
	if addr == "" {
		addr = "127.0.0.1"
	}
	port := os.Getenv("FN_PORT")
	if port == "" {
		port = "8082"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("FN_PORT: bad port %q", port)
	}
	payload := []byte(os.Getenv("BENCH_BODY"))
	if len(payload) == 0 {
		payload = []byte(`{"status":"ok"}`)
	}
	readTimeout, err := durationEnv("read_timeout", 10*time.Second)
	if err != nil {
		return fmt.Errorf("read_timeout: %w", err)
	}
	writeTimeout, err := durationEnv("write_timeout", 10*time.Second)
	if err != nil {
		return fmt.Errorf("write_timeout: %w", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			defer r.Body.Close()
			b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = b
		}
		res, err := handle(body, payload)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for k, v := range res.header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.status)
		if _, err := w.Write(res.body); err != nil {
			log.Printf("write: %v", err)
		}
	})
	srv := &http.Server{
		Addr:           addr + ":" + port,
		ReadTimeout:    readTimeout,
		WriteTimeout:   writeTimeout,
		MaxHeaderBytes: 1 << 20,
		Handler:        mux,
	}

	done := make(chan error, 1)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-done
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "go_http:", err)
		os.Exit(1)
	}
}
