package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"golang.org/x/term"

	"github.com/tessera-gis/tessera/internal/client"
	"github.com/tessera-gis/tessera/internal/flagfile"
)

// Exit codes of the admin commands, which scripts can rely on.
const (
	exitOK          = 0   // done; the job succeeded
	exitFailed      = 1   // the job failed, timed out or was cancelled; the server refused the request; or you declined
	exitUsage       = 2   // bad flags or arguments
	exitServer      = 3   // the server cannot be reached, or answered something that is not its REST API, or an internal error
	exitAuth        = 4   // token or API key missing, invalid or expired, or a role too low (498, 499, 403)
	exitInterrupted = 130 // Ctrl-C (whether or not the job was then cancelled)
)

const exitCodesHelp = `Exit codes: 0 done; 1 the job failed, timed out or was cancelled, the server
refused the request, or you declined; 2 bad flags or arguments; 3 the server
cannot be reached or answered with an error of its own; 4 token missing,
invalid or expired, or role too low; 130 interrupted (Ctrl-C).
`

// adminCommands are the commands that talk to a running server.
var adminCommands = map[string]func(ctx context.Context, a *admin, args []string) error{
	"add": cmdAdd, "delete": cmdDelete, "restore": cmdRestore, "collections": cmdCollections,
	"jobs": cmdJobs, "cancel": cmdCancel, "token": cmdToken,
}

// adminSynopsis follows "tessera NAME" in each command's usage.
var adminSynopsis = map[string]string{
	"add":         "--collection NAME [--create] [--strict] PATH_OR_URL…",
	"delete":      "--collection NAME --where SQL [--dry-run] [--yes] [--purge]",
	"restore":     "--job ID [--collection NAME] [--where SQL]",
	"collections": "",
	"jobs":        "[--active] [--task TASK] [--watch] [JOB_ID]",
	"cancel":      "JOB_ID",
	"token":       "[--user NAME] [--expiration 1h] [--save]",
}

const adminUsage = `
Admin commands talk to a running server over its REST API:
  tessera add --collection NAME PATH_OR_URL…     add rasters, with a progress bar
  tessera delete --collection NAME --where SQL   dry run, confirm, delete
  tessera restore --job ID                       undo a delete
  tessera collections                            list collections
  tessera jobs [--watch] [JOB_ID]                list jobs, or watch one
  tessera cancel JOB_ID                          cancel a job
  tessera token [--user NAME] [--save]           sign in and print a token
Each takes --server URL (default $TESSERA_SERVER or ` + client.DefaultURL + `),
--token (default $TESSERA_TOKEN or the client config file), --json and -h.
`

// exitError carries an exit code. If silent, the message was shown already.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitWith(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// errInterrupted is the cause of a command's context ended by Ctrl-C.
var errInterrupted = errors.New("interrupted")

// report prints a command's error unless it was shown already.
func report(err error) {
	var ee *exitError
	if errors.Is(err, flag.ErrHelp) || errors.As(err, &ee) && ee.silent {
		return
	}
	fmt.Fprintln(os.Stderr, "tessera:", err)
}

// exitCode maps an error to the exit code scripts see.
func exitCode(err error) int {
	var ee *exitError
	var ce *client.Error
	var re *client.ResponseError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errInterrupted), errors.Is(err, context.Canceled):
		return exitInterrupted
	case client.IsAuth(err):
		return exitAuth
	case errors.As(err, &ce):
		if ce.Code >= 500 {
			return exitServer
		}
		return exitFailed
	case errors.As(err, &re):
		return exitServer
	}
	var conn *client.ConnError
	if errors.As(err, &conn) {
		return exitServer
	}
	return exitFailed
}

// admin is the state one admin command runs with.
type admin struct {
	client *client.Client
	json   bool
	stdout io.Writer
	stderr io.Writer
	stdin  *bufio.Reader
	// interactive: stdin is a terminal, so the command may ask questions;
	// tty: stderr is a terminal, so progress is drawn as a bar.
	interactive, tty bool

	mu      sync.Mutex
	handler chan os.Signal // receives Ctrl-C while a job is watched
}

// runAdmin runs an admin command with Ctrl-C handling: while a job is
// watched, Ctrl-C goes to the watcher (which asks whether to cancel the
// job); otherwise it ends the command's context.
func runAdmin(name string, args []string) error {
	run := adminCommands[name]
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	a := &admin{stdout: os.Stdout, stderr: os.Stderr, stdin: bufio.NewReader(os.Stdin),
		interactive: term.IsTerminal(int(os.Stdin.Fd())), tty: term.IsTerminal(int(os.Stderr.Fd()))}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		for s := range sig {
			a.mu.Lock()
			h := a.handler
			a.mu.Unlock()
			if h != nil {
				select {
				case h <- s:
				default:
				}
				continue
			}
			cancel(errInterrupted)
		}
	}()
	err := run(ctx, a, args)
	if err != nil && context.Cause(ctx) == errInterrupted && errors.Is(err, context.Canceled) {
		err = &exitError{code: exitInterrupted, err: errInterrupted}
	}
	if err != nil && a.json {
		var ce *client.Error
		if errors.As(err, &ce) {
			a.printJSON(map[string]any{"error": ce})
		}
	}
	return err
}

// flags returns a flag set for an admin command with the common flags.
func (a *admin) flags(name string, describe string) (*flag.FlagSet, *commonFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	c := &commonFlags{}
	fs.StringVar(&c.server, "server", "", "the server's /arcgis root (default $TESSERA_SERVER, the client config file, or "+client.DefaultURL+")")
	fs.StringVar(&c.token, "token", "", "token or API key (default $TESSERA_TOKEN or the client config file)")
	fs.BoolVar(&a.json, "json", false, "print JSON on stdout for scripts, and no progress bar")
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "Usage: tessera %s %s\n\n%s\n\nFlags:\n", name, adminSynopsis[name], describe)
		fs.PrintDefaults()
		fmt.Fprintf(a.stderr, "\nThe client config file is %s (keys: server, token).\n%s", clientConfigPath(), exitCodesHelp)
	}
	return fs, c
}

type commonFlags struct {
	server, token string
}

// parse parses args, whose flags may follow the other arguments (up to a
// "--"), and connects: the server and token come from the flags, then
// $TESSERA_SERVER and $TESSERA_TOKEN, then the client config file. It
// returns the arguments that are not flags.
func (a *admin) parse(fs *flag.FlagSet, c *commonFlags, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &exitError{code: exitUsage, err: err, silent: true}
		}
		left := fs.Args()
		if len(left) == 0 {
			break
		}
		if i := len(args) - len(left) - 1; i >= 0 && args[i] == "--" {
			rest = append(rest, left...) // everything after "--" is an argument
			break
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
	file, err := readClientConfig(a.stderr)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	server := firstOf(c.server, os.Getenv("TESSERA_SERVER"), file.server, client.DefaultURL)
	token := firstOf(c.token, os.Getenv("TESSERA_TOKEN"), file.token)
	a.client, err = client.New(server, token)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return rest, nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// usageError reports a usage mistake and shows the command's usage.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "tessera %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...), silent: true}
}

// clientConfigPath is $TESSERA_CLIENT_CONFIG, or tessera/client.toml in
// the user's configuration directory.
func clientConfigPath() string {
	if p := os.Getenv("TESSERA_CLIENT_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return filepath.Join(".", "tessera-client.toml")
	}
	return filepath.Join(dir, "tessera", "client.toml")
}

type clientConfig struct{ server, token string }

// readClientConfig reads the client config file, if there is one. Its
// keys are server and token; it warns when a file holding a token can be
// read by others.
func readClientConfig(warn io.Writer) (clientConfig, error) {
	var c clientConfig
	path := clientConfigPath()
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	fs := flag.NewFlagSet("client config", flag.ContinueOnError)
	fs.StringVar(&c.server, "server", "", "")
	fs.StringVar(&c.token, "token", "", "")
	if err := flagfile.Apply(fs, path, nil); err != nil {
		return c, err
	}
	if c.token != "" && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "tessera: warning: %s holds a token and others can read it (chmod 600 %s)\n", path, path)
	}
	return c, nil
}

// writeClientConfig saves the server and token, readable by the user only.
func writeClientConfig(c clientConfig) (string, error) {
	path := clientConfigPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	body, err := toml.Marshal(map[string]string{"server": c.server, "token": c.token})
	if err != nil {
		return "", err
	}
	text := "# tessera admin commands: the server and the token to use (tessera token --save)\n" + string(body)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// printJSON writes v to stdout, indented.
func (a *admin) printJSON(v any) {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ask prints a question and reads a line from stdin. Ctrl-C while it waits
// counts as "no" (false) and ends ctx's command with errInterrupted.
func (a *admin) ask(ctx context.Context, question string) (bool, error) {
	fmt.Fprint(a.stderr, question)
	line := make(chan string, 1)
	go func() {
		s, _ := a.stdin.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		s = strings.ToLower(strings.TrimSpace(s))
		return s == "y" || s == "yes", nil
	case <-ctx.Done():
		fmt.Fprintln(a.stderr)
		return false, context.Cause(ctx)
	}
}

// cmdToken signs in with generateToken and prints the token.
func cmdToken(ctx context.Context, a *admin, args []string) error {
	fs, common := a.flags("token", "Sign in with a user name and password (read from the terminal without echo,\n"+
		"or from the first line of stdin) and print a token on stdout. With --save,\n"+
		"store the server and the token in the client config file (mode 600) for\nthe other commands.")
	user := fs.String("user", "", "user name (asked for on a terminal if not given)")
	expiration := fs.Duration("expiration", 0, "how long the token lasts (default: the server's, 1h unless configured; it caps long ones)")
	save := fs.Bool("save", false, "save the server and token in the client config file")
	args, err := a.parse(fs, common, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usageError(fs, "unexpected arguments %q", args)
	}
	name := strings.TrimSpace(*user)
	if name == "" && a.interactive {
		fmt.Fprint(a.stderr, "User: ")
		s, _ := a.stdin.ReadString('\n')
		name = strings.TrimSpace(s)
	}
	if name == "" {
		return usageError(fs, "--user is required")
	}
	password, err := a.readPassword(ctx)
	if err != nil {
		return err
	}
	tok, err := a.client.GenerateToken(ctx, name, password, *expiration)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && ce.Code == 400 {
			return &exitError{code: exitAuth, err: err} // wrong user name or password
		}
		return err
	}
	if *save {
		path, err := writeClientConfig(clientConfig{server: a.client.URL, token: tok.Token})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "Saved the server and token to %s.\n", path)
	}
	if a.json {
		a.printJSON(map[string]any{"token": tok.Token, "expires": tok.Expires.UnixMilli(), "server": a.client.URL})
		return nil
	}
	fmt.Fprintln(a.stdout, tok.Token)
	fmt.Fprintf(a.stderr, "Token for %s at %s, valid until %s.\n", name, a.client.URL, tok.Expires.Local().Format(time.DateTime))
	return nil
}

// readPassword reads a password from the terminal without echo, or the
// first line of stdin. Ctrl-C restores the terminal and ends the command.
func (a *admin) readPassword(ctx context.Context) (string, error) {
	if !a.interactive {
		s, err := a.stdin.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(s, "\r\n"), nil
	}
	fd := int(os.Stdin.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	fmt.Fprint(a.stderr, "Password: ")
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(a.stderr)
		return string(r.b), r.err
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(a.stderr)
		return "", context.Cause(ctx)
	}
}
