// Package telegramtest is a stand-in for the Telegram Bot API's sendMessage, for tests: it
// answers with the real API's shapes ({"ok":false,"error_code":429,"description":…,
// "parameters":{"retry_after":N}}), refuses HTML Telegram would refuse ("can't parse
// entities") and over-long texts, and can be told to fail in each way the real one does.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"golang.org/x/net/html"
)

// Message is one message Telegram accepted.
type Message struct {
	ChatID              string
	Text                string
	ParseMode           string
	ThreadID            int64
	DisableNotification bool
}

// Fault is how the next request fails.
type Fault int

// Faults the stand-in reproduces.
const (
	// TooManyRequests answers 429 with parameters.retry_after (RetryAfter seconds).
	TooManyRequests Fault = iota + 1
	// ParseError answers 400 "can't parse entities".
	ParseError
	// ServerError answers 502 Bad Gateway with an HTML page, like Telegram's front end.
	ServerError
	// Hang never answers (until the client gives up).
	Hang
	// Forbidden answers 403 "bot was kicked from the group chat".
	Forbidden
)

// Server is the stand-in.
type Server struct {
	*httptest.Server
	Token string
	// RetryAfter is the retry_after of TooManyRequests answers, in seconds.
	RetryAfter int

	mu       sync.Mutex
	messages []Message
	faults   []Fault
	down     bool
	migrated map[string]string
	requests int
	hang     chan struct{}
}

// New starts a stand-in accepting token.
func New(token string) *Server {
	s := &Server{Token: token, RetryAfter: 1, migrated: map[string]string{}, hang: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Close stops the stand-in, releasing hung requests first.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.hang:
	default:
		close(s.hang)
	}
	s.mu.Unlock()
	s.Server.Close()
}

// FailNext makes the next requests fail, one fault each, in order.
func (s *Server) FailNext(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// SetDown makes every request fail with 502 until SetDown(false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Migrate makes chat a group upgraded to supergroup to: sends to it answer 400 with
// migrate_to_chat_id.
func (s *Server) Migrate(chat, to string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.migrated[chat] = to
}

// Messages are the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Requests counts sendMessage requests, accepted or not.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func writeAPI(w http.ResponseWriter, code int, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, code int, description string, params map[string]any) {
	v := map[string]any{"ok": false, "error_code": code, "description": description}
	if params != nil {
		v["parameters"] = params
	}
	writeAPI(w, code, v)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !strings.HasPrefix(r.URL.Path, "/bot") || !ok {
		apiError(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	if token != s.Token {
		apiError(w, http.StatusUnauthorized, "Unauthorized", nil)
		return
	}
	if method != "sendMessage" {
		apiError(w, http.StatusNotFound, "Not Found: method not found", nil)
		return
	}
	s.mu.Lock()
	s.requests++
	var fault Fault
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	if s.down && fault == 0 {
		fault = ServerError
	}
	s.mu.Unlock()

	switch fault {
	case TooManyRequests:
		apiError(w, http.StatusTooManyRequests, "Too Many Requests: retry after "+strconv.Itoa(s.RetryAfter),
			map[string]any{"retry_after": s.RetryAfter})
		return
	case ParseError:
		apiError(w, http.StatusBadRequest, "Bad Request: can't parse entities: Unsupported start tag \"div\" at byte offset 0", nil)
		return
	case ServerError:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")
		return
	case Forbidden:
		apiError(w, http.StatusForbidden, "Forbidden: bot was kicked from the group chat", nil)
		return
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.hang:
		}
		return
	}

	var req struct {
		ChatID              json.RawMessage `json:"chat_id"`
		Text                string          `json:"text"`
		ParseMode           string          `json:"parse_mode"`
		MessageThreadID     int64           `json:"message_thread_id"`
		DisableNotification bool            `json:"disable_notification"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &req); err != nil {
		apiError(w, http.StatusBadRequest, "Bad Request: invalid JSON", nil)
		return
	}
	chat := strings.Trim(string(req.ChatID), `"`)
	if chat == "" {
		apiError(w, http.StatusBadRequest, "Bad Request: chat_id is empty", nil)
		return
	}
	s.mu.Lock()
	to, moved := s.migrated[chat]
	s.mu.Unlock()
	if moved {
		id, _ := strconv.ParseInt(to, 10, 64)
		apiError(w, http.StatusBadRequest, "Bad Request: group chat was upgraded to a supergroup chat",
			map[string]any{"migrate_to_chat_id": id})
		return
	}
	text := req.Text
	if req.ParseMode == "HTML" {
		parsed, err := parseHTML(req.Text)
		if err != nil {
			apiError(w, http.StatusBadRequest, "Bad Request: can't parse entities: "+err.Error(), nil)
			return
		}
		text = parsed
	}
	if n := len(utf16.Encode([]rune(text))); n == 0 || n > 4096 {
		apiError(w, http.StatusBadRequest, "Bad Request: message is too long", nil)
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, Message{ChatID: chat, Text: req.Text, ParseMode: req.ParseMode,
		ThreadID: req.MessageThreadID, DisableNotification: req.DisableNotification})
	id := len(s.messages)
	s.mu.Unlock()
	writeAPI(w, http.StatusOK, map[string]any{"ok": true, "result": map[string]any{"message_id": id, "text": text}})
}

var allowed = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
}

// parseHTML applies Telegram's HTML rules and returns the text after entity parsing.
func parseHTML(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			continue
		}
		end := strings.IndexByte(s[i:], ';')
		if end < 0 {
			return "", fmt.Errorf("unexpected end of name token at byte offset %d", i)
		}
		name := s[i+1 : i+end]
		if name != "lt" && name != "gt" && name != "amp" && name != "quot" && !strings.HasPrefix(name, "#") {
			return "", fmt.Errorf("unsupported HTML entity \"&%s;\" at byte offset %d", name, i)
		}
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var stack []string
	var text strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			if len(stack) > 0 {
				return "", fmt.Errorf("can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
			}
			return text.String(), nil
		case html.TextToken:
			text.WriteString(html.UnescapeString(string(z.Raw())))
		case html.StartTagToken:
			name, _ := z.TagName()
			if !allowed[string(name)] {
				return "", fmt.Errorf("unsupported start tag \"%s\"", name)
			}
			stack = append(stack, string(name))
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				return "", fmt.Errorf("unmatched end tag \"%s\"", name)
			}
			stack = stack[:len(stack)-1]
		default:
			return "", fmt.Errorf("unsupported token %q", z.Raw())
		}
	}
}
