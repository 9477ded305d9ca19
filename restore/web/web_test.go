package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/restore"
)

type site struct {
	t      *testing.T
	f      *fakeService
	srv    *httptest.Server
	client *http.Client
}

func newSite(t *testing.T, f *fakeService) *site {
	t.Helper()
	h, err := New(Options{Service: f, Location: wib, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &site{t: t, f: f, srv: srv, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (s *site) do(req *http.Request) (int, string, http.Header) {
	s.t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func (s *site) get(path string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	code, body, _ := s.do(req)
	return code, body
}

func (s *site) post(path string, form url.Values) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, body, _ := s.do(req)
	return code, body
}

// confirmForm opens the confirm page of a point and returns its form's fields.
func (s *site) confirmForm(query string) url.Values {
	s.t.Helper()
	code, body := s.get("/routers/hotspot-1/confirm?" + query)
	if code != http.StatusOK {
		s.t.Fatalf("confirm page: %d\n%s", code, body)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	if form.Get(csrfField) == "" {
		s.t.Fatalf("confirm page has no CSRF token:\n%s", body)
	}
	return form
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&#39;", "'", "&#34;", `"`, "&lt;", "<", "&gt;", ">").Replace(s)
}

// rows returns the cells of every body row of the table with the given id, tags stripped.
func rows(t *testing.T, body, id string) [][]string {
	t.Helper()
	start := strings.Index(body, `<table id="`+id+`">`)
	if start < 0 {
		t.Fatalf("no table %s in\n%s", id, body)
	}
	table := body[start:]
	table = table[:strings.Index(table, "</table>")]
	table = table[strings.Index(table, "<tbody>"):]
	tags := regexp.MustCompile(`<[^>]*>`)
	var out [][]string
	for _, tr := range regexp.MustCompile(`(?s)<tr[^>]*>(.*?)</tr>`).FindAllStringSubmatch(table, -1) {
		var cells []string
		for _, td := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, strings.TrimSpace(htmlUnescape(tags.ReplaceAllString(td[1], ""))))
		}
		out = append(out, cells)
	}
	return out
}

func equalRows(t *testing.T, got, want [][]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
}

// The id of the newer reboot, as the points page links it.
var pointA = "at=" + url.QueryEscape("2026-11-24T11:14:30.250Z") + "&boot=" + url.QueryEscape("2026-11-24T11:21:07.000Z")

func TestRoutersPage(t *testing.T) {
	s := newSite(t, fixture())
	code, body := s.get("/")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{`<a href="/routers/hotspot-1">hotspot-1</a>`, `<a href="/routers/hotspot-2">hotspot-2</a>`, "Times are in WIB (UTC&#43;07:00)."} {
		if !strings.Contains(body, want) {
			t.Errorf("routers page lacks %s:\n%s", want, body)
		}
	}
}

func TestPointsPageNewestFirstInLocalZone(t *testing.T) {
	s := newSite(t, fixture())
	code, body := s.get("/routers/hotspot-1")
	if code != http.StatusOK {
		t.Fatalf("status %d\n%s", code, body)
	}
	equalRows(t, rows(t, body, "points"), [][]string{
		{"2026-11-24 18:21:07 WIB", "2026-11-24 18:14:30 WIB", "5", "30s", "Show users"},
		{"2026-11-22 09:40:00 WIB", "2026-11-22 09:02:00 WIB", "2", "45s", "Show users"},
	})
	if !strings.Contains(body, `href="/routers/hotspot-1/plan?`+strings.ReplaceAll(pointA, "&", "&amp;")+`"`) {
		t.Errorf("the newest point's link is not its identity (%s):\n%s", pointA, body)
	}
	// The time form starts at now, in the zone it is read in.
	if !strings.Contains(body, `value="2026-11-24T20:00"`) {
		t.Errorf("the time field does not start at now in WIB:\n%s", body)
	}

	// A longer window finds the older reboot too.
	_, body = s.get("/routers/hotspot-1?days=30")
	if got := len(rows(t, body, "points")); got != 3 {
		t.Errorf("30 days: %d points, want 3", got)
	}
	code, body = s.get("/routers/hotspot-2")
	if code != http.StatusOK || !strings.Contains(body, `id="no-points"`) {
		t.Errorf("a router without reboots: %d\n%s", code, body)
	}
}

func TestPlanPageShowsEveryUserOnline(t *testing.T) {
	s := newSite(t, fixture())
	code, body := s.get("/routers/hotspot-1/plan?" + pointA)
	if code != http.StatusOK {
		t.Fatalf("status %d\n%s", code, body)
	}
	equalRows(t, rows(t, body, "plan"), [][]string{
		{"alice", "5h", "2h 40m", "2h", "40m", "4h 20m", "restore"},
		{"budi", "1d", "1h 5s", "0s", "1h 5s", "22h 59m 55s", "restore"},
		{"citra", "unlimited", "10m", "0s", "0s", "—", "skipped: unlimited user"},
		{"dewi", "6h", "1h 3m", "1h", "3m", "—", "skipped: limit changed since the reboot (3h then, 6h now)"},
		{"vc-7731", "1s", "0s", "0s", "0s", "—", "skipped: expired voucher (limit 1s)"},
	})
	if !strings.Contains(body, "<strong>2 users</strong> to restore, <strong>1h 40m 5s</strong> to give back in total; 3 skipped.") {
		t.Errorf("summary missing:\n%s", body)
	}
	if !strings.Contains(body, "2026-11-24 18:14:30 WIB") || !strings.Contains(body, "2026-11-24 18:21:07 WIB") {
		t.Errorf("point times missing:\n%s", body)
	}
	// The plan was made from the point the history has (the service's own, with its
	// Online count), not from anything in the link.
	got := s.f.planPoints[len(s.f.planPoints)-1]
	if !got.At.Equal(cutA) || !got.BootTime.Equal(bootA) || got.Online != 5 {
		t.Errorf("planned point %+v, want the history's newer reboot", got)
	}

	// Forcing includes the user whose limit changed.
	_, body = s.get("/routers/hotspot-1/plan?" + pointA + "&force=1")
	if r := rows(t, body, "plan"); r[3][6] != "restore" || r[3][5] != "5h 57m" {
		t.Errorf("forced: dewi is %q", r[3])
	}
}

func TestChosenTimeIsReadInTheLocalZone(t *testing.T) {
	s := newSite(t, fixture())
	code, body := s.get("/routers/hotspot-1/plan?at=2026-11-24T17:05:10")
	if code != http.StatusOK {
		t.Fatalf("status %d\n%s", code, body)
	}
	want := time.Date(2026, 11, 24, 17, 5, 10, 0, wib)
	if len(s.f.pointAtCalls) != 1 || !s.f.pointAtCalls[0].Equal(want) {
		t.Fatalf("PointAt got %v, want %v", s.f.pointAtCalls, want)
	}
	// The confirm link names the scrape found, not the typed time.
	if !strings.Contains(body, "confirm?at="+url.QueryEscape("2026-11-24T10:05:00.000Z")) {
		t.Errorf("confirm link does not carry the resolved point:\n%s", body)
	}
}

func TestSecurityHeadersAndCookie(t *testing.T) {
	s := newSite(t, fixture())
	for _, path := range []string{"/", "/routers/hotspot-1", "/routers/hotspot-1/plan?" + pointA, "/routers/nope", "/style.css"} {
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		_, _, hdr := s.do(req)
		if hdr.Get("X-Frame-Options") != "DENY" || !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") ||
			!strings.Contains(hdr.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: headers %v", path, hdr)
		}
	}
	resp, err := http.Get(s.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := resp.Cookies()
	if len(c) != 1 || c[0].Name != sessionCookie || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %+v", c)
	}
}

func TestRestoreFlow(t *testing.T) {
	s := newSite(t, fixture())
	form := s.confirmForm(pointA)
	if s.f.applyCount() != 0 {
		t.Fatal("opening the confirm page applied")
	}
	// Only identity and the confirmed counts travel; no plan numbers.
	for k := range form {
		switch k {
		case csrfField, "at", "boot", "users", "total": // force and max_gap only when chosen
		default:
			t.Errorf("the confirm form carries %s", k)
		}
	}
	code, body := s.post("/routers/hotspot-1/apply", form)
	if code != http.StatusOK {
		t.Fatalf("apply: %d\n%s", code, body)
	}
	equalRows(t, rows(t, body, "result"), [][]string{
		{"alice", "40m", "4h 20m", "applied"},
		{"budi", "1h 5s", "22h 59m 55s", "applied"},
		{"citra", "0s", "—", "skipped: unlimited user"},
		{"dewi", "3m", "—", "skipped: limit changed since the reboot (3h then, 6h now)"},
		{"vc-7731", "0s", "—", "skipped: expired voucher (limit 1s)"},
	})
	if !strings.Contains(body, "<strong>2</strong> applied, 3 skipped, <strong>0</strong> failed; <strong>1h 40m 5s</strong> given back.") {
		t.Errorf("result summary:\n%s", body)
	}
	applied := s.f.applied[0]
	if applied != s.f.plans[len(s.f.plans)-1] || !applied.Point.BootTime.Equal(bootA) || applied.Point.Online != 5 {
		t.Errorf("Apply got %+v, not the plan the server just made", applied.Point)
	}
	if s.f.applyCtxErr != nil {
		t.Errorf("Apply's context ended: %v", s.f.applyCtxErr)
	}

	// A second submit of the same form writes nothing: the fresh plan differs.
	code, body = s.post("/routers/hotspot-1/apply", form)
	if code != http.StatusConflict || !strings.Contains(body, "the plan now restores 0 users") {
		t.Errorf("double submit: %d\n%s", code, body)
	}
	if s.f.applyCount() != 1 {
		t.Errorf("Apply called %d times", s.f.applyCount())
	}
	// And the plan page now says so.
	_, body = s.get("/routers/hotspot-1/plan?" + pointA)
	if r := rows(t, body, "plan"); r[0][6] != "skipped: already restored" || strings.Contains(body, `id="restore"`) {
		t.Errorf("after the restore the plan shows %q", r[0])
	}
}

func TestForcedRestoreCarriesForce(t *testing.T) {
	s := newSite(t, fixture())
	form := s.confirmForm(pointA + "&force=1")
	if form.Get("force") != "1" || form.Get("users") != "3" {
		t.Fatalf("forced confirm form %v", form)
	}
	if code, body := s.post("/routers/hotspot-1/apply", form); code != http.StatusOK || !strings.Contains(body, "<strong>3</strong> applied") {
		t.Errorf("forced apply: %d\n%s", code, body)
	}
}

func TestCSRF(t *testing.T) {
	f := fixture()
	s := newSite(t, f)
	good := s.confirmForm(pointA)

	cases := map[string]func() (int, string){
		"no token": func() (int, string) {
			form := cloneForm(good)
			form.Del(csrfField)
			return s.post("/routers/hotspot-1/apply", form)
		},
		"wrong token": func() (int, string) {
			form := cloneForm(good)
			form.Set(csrfField, "AAAA"+good.Get(csrfField)[4:])
			return s.post("/routers/hotspot-1/apply", form)
		},
		"not base64": func() (int, string) {
			form := cloneForm(good)
			form.Set(csrfField, "%%%")
			return s.post("/routers/hotspot-1/apply", form)
		},
		"no session cookie": func() (int, string) {
			bare := &site{t: t, f: f, srv: s.srv, client: &http.Client{}}
			return bare.post("/routers/hotspot-1/apply", good)
		},
		"another session's cookie": func() (int, string) {
			jar, _ := cookiejar.New(nil)
			stranger := &site{t: t, f: f, srv: s.srv, client: &http.Client{Jar: jar}}
			stranger.get("/") // gets a session of its own
			return stranger.post("/routers/hotspot-1/apply", good)
		},
		"token of another process": func() (int, string) {
			// The same cookie and form sent to a second handler (another key).
			h2, _ := New(Options{Service: f, Location: wib, Now: func() time.Time { return now }})
			srv2 := httptest.NewServer(h2)
			defer srv2.Close()
			u, _ := url.Parse(s.srv.URL)
			req, _ := http.NewRequest(http.MethodPost, srv2.URL+"/routers/hotspot-1/apply", strings.NewReader(good.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, c := range s.client.Jar.Cookies(u) {
				req.AddCookie(c)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		},
	}
	for name, try := range cases {
		t.Run(name, func(t *testing.T) {
			code, body := try()
			if code != http.StatusForbidden || !strings.Contains(body, "Nothing was written") {
				t.Errorf("%d\n%s", code, body)
			}
			if n := f.applyCount(); n != 0 {
				t.Errorf("Apply called %d times", n)
			}
		})
	}
	// The good form still works afterwards.
	if code, body := s.post("/routers/hotspot-1/apply", good); code != http.StatusOK {
		t.Errorf("good form: %d\n%s", code, body)
	}
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func TestGetsNeverWrite(t *testing.T) {
	s := newSite(t, fixture())
	form := s.confirmForm(pointA)
	for _, path := range []string{
		"/", "/routers/hotspot-1", "/routers/hotspot-1/plan?" + pointA, "/routers/hotspot-1/confirm?" + pointA,
		"/routers/hotspot-1/apply?" + form.Encode(),
	} {
		s.get(path)
	}
	code, _ := s.get("/routers/hotspot-1/apply?" + form.Encode())
	if code != http.StatusMethodNotAllowed {
		t.Errorf("GET apply: %d", code)
	}
	if n := s.f.applyCount(); n != 0 {
		t.Errorf("GETs applied %d times", n)
	}
}

func TestConfirmStepRequired(t *testing.T) {
	s := newSite(t, fixture())
	good := s.confirmForm(pointA)
	for name, edit := range map[string]func(url.Values){
		"no confirmed counts": func(v url.Values) { v.Del("users"); v.Del("total") },
		"no confirmed total":  func(v url.Values) { v.Del("total") },
	} {
		form := cloneForm(good)
		edit(form)
		code, body := s.post("/routers/hotspot-1/apply", form)
		if code != http.StatusBadRequest || !strings.Contains(body, "confirmation step") {
			t.Errorf("%s: %d\n%s", name, code, body)
		}
	}
	// Counts that are not what the fresh plan says: refused, nothing written.
	form := cloneForm(good)
	form.Set("users", "7")
	if code, body := s.post("/routers/hotspot-1/apply", form); code != http.StatusConflict || !strings.Contains(body, "the plan changed") {
		t.Errorf("wrong counts: %d\n%s", code, body)
	}
	form = cloneForm(good)
	form.Set("total", fmt.Sprint(int64(99*time.Hour)))
	if code, _ := s.post("/routers/hotspot-1/apply", form); code != http.StatusConflict {
		t.Errorf("wrong total: %d", code)
	}
	if n := s.f.applyCount(); n != 0 {
		t.Errorf("Apply called %d times", n)
	}
	// Nothing to restore: no confirm page at all.
	f := fixture()
	f.entries["hotspot-1"] = f.entries["hotspot-1"][2:3] // only the unlimited user
	s2 := newSite(t, f)
	if code, body := s2.get("/routers/hotspot-1/confirm?" + pointA); code != http.StatusConflict || strings.Contains(body, "csrf_token") {
		t.Errorf("confirm with nothing to restore: %d\n%s", code, body)
	}
}

// refusal is an error that chooses its status, as the core's refusals do.
type refusal struct{ msg string }

func (r refusal) Error() string   { return r.msg }
func (r refusal) HTTPStatus() int { return http.StatusConflict }

func TestErrorsAreShownWithTheirReason(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(*fakeService)
		path   string
		status int
		reason string
	}{
		{"prometheus down", func(f *fakeService) {
			f.pointsErr = errors.New(`querying Prometheus: dial tcp 127.0.0.1:9090: connect: connection refused`)
		}, "/routers/hotspot-1", http.StatusBadGateway, "connection refused"},
		{"timeout", func(f *fakeService) { f.pointsErr = fmt.Errorf("querying Prometheus: %w", context.DeadlineExceeded) },
			"/routers/hotspot-1", http.StatusGatewayTimeout, "deadline exceeded"},
		{"refused plan", func(f *fakeService) { f.planErr = refusal{"Prometheus answered with warnings: partial response"} },
			"/routers/hotspot-1/plan?" + pointA, http.StatusConflict, "partial response"},
		{"router unreachable", func(f *fakeService) { f.planErr = errors.New("router hotspot-1: dial tcp 127.0.0.1:8728: i/o timeout") },
			"/routers/hotspot-1/confirm?" + pointA, http.StatusBadGateway, "i/o timeout"},
		{"point gone", func(f *fakeService) { f.points = nil }, "/routers/hotspot-1/plan?" + pointA, http.StatusNotFound, "in the history any more"},
		{"unknown router", func(*fakeService) {}, "/routers/hotspot-9", http.StatusNotFound, "not a MikroTik target"},
		{"unknown router plan", func(*fakeService) {}, "/routers/hotspot-9/plan?" + pointA, http.StatusNotFound, "not a MikroTik target"},
		{"bad time", func(*fakeService) {}, "/routers/hotspot-1/plan?at=yesterday", http.StatusBadRequest, "&#34;yesterday&#34; is neither"},
		{"no time", func(*fakeService) {}, "/routers/hotspot-1/plan", http.StatusBadRequest, "no time given"},
		{"bad window", func(*fakeService) {}, "/routers/hotspot-1?days=0", http.StatusBadRequest, "whole number of days"},
		{"core refusal", func(f *fakeService) {
			f.planErr = &restore.Error{Failure: restore.Refused, Err: errors.New("Prometheus warned: partial data")}
		}, "/routers/hotspot-1/plan?" + pointA, http.StatusConflict, "partial data"},
		{"core unreachable", func(f *fakeService) {
			f.planErr = &restore.Error{Failure: restore.Unreachable, Err: errors.New("router hotspot-1: connection refused")}
		}, "/routers/hotspot-1/plan?" + pointA, http.StatusBadGateway, "connection refused"},
		{"core timeout", func(f *fakeService) {
			f.pointsErr = &restore.Error{Failure: restore.Unreachable, Err: fmt.Errorf("query: %w", context.DeadlineExceeded)}
		}, "/routers/hotspot-1", http.StatusGatewayTimeout, "deadline exceeded"},
		{"markup in an error", func(f *fakeService) { f.pointsErr = errors.New("<script>alert(1)</script>") },
			"/routers/hotspot-1", http.StatusBadGateway, "&lt;script&gt;alert(1)&lt;/script&gt;"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := fixture()
			c.break_(f)
			s := newSite(t, f)
			code, body := s.get(c.path)
			if code != c.status || !strings.Contains(body, c.reason) || !strings.Contains(body, `class="error"`) {
				t.Errorf("%d, want %d with %q:\n%s", code, c.status, c.reason, body)
			}
			if strings.Contains(body, "goroutine") || strings.Contains(body, ".go:") {
				t.Errorf("a stack trace on the page:\n%s", body)
			}
		})
	}
}

func TestApplyFailures(t *testing.T) {
	f := fixture()
	s := newSite(t, f)
	form := s.confirmForm(pointA)

	f.fail = map[string]bool{"budi": true}
	code, body := s.post("/routers/hotspot-1/apply", form)
	if code != http.StatusBadGateway || !strings.Contains(body, "<strong>1</strong> applied, 3 skipped, <strong>1</strong> failed") {
		t.Fatalf("one write failed: %d\n%s", code, body)
	}
	if r := rows(t, body, "result"); r[1][3] != "failed: router hotspot-1: !trap: failure: connection lost" {
		t.Errorf("budi's outcome %q", r[1])
	}

	// The whole apply failing (the lock held): the reason, nothing else.
	f.applyErr = &restore.Error{Failure: restore.Incomplete, Err: restore.ErrLocked}
	f.fail = nil
	form = s.confirmForm(pointA) // one user left to restore
	code, body = s.post("/routers/hotspot-1/apply", form)
	if code != http.StatusConflict || !strings.Contains(body, "another ronda-restore is applying") ||
		!strings.Contains(body, "no user was restored; pressing Restore again finishes the rest") {
		t.Errorf("apply error: %d\n%s", code, body)
	}

	// A write the router refuses: pressing Restore again cannot help.
	f.applyErr = &restore.Error{Failure: restore.Refused, Err: errors.New("router hotspot-1 refused to write limit-uptime for 1 user (budi; the first: router refused the command: not enough permissions (9))")}
	form = s.confirmForm(pointA)
	code, body = s.post("/routers/hotspot-1/apply", form)
	if code != http.StatusConflict || !strings.Contains(body, "not enough permissions (9)") || !strings.Contains(body, "will not help until this is fixed") {
		t.Errorf("refused writes: %d\n%s", code, body)
	}
}

func TestPanicIsA500WithoutTrace(t *testing.T) {
	f := fixture()
	f.entries = nil
	f.routers = []string{"hotspot-1"}
	h, _ := New(Options{Service: panicky{f}, Location: wib})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/routers/hotspot-1", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("%d\n%s", rec.Code, rec.Body)
	}
}

type panicky struct{ *fakeService }

func (panicky) Points(context.Context, string, time.Time, time.Time) ([]restore.Point, error) {
	panic("bug")
}

// TestUnseenGapIsAcceptedOnlyWhenAsked: a point Prometheus did not see the router fail
// before (it was down too) is refused with the reason; the page offers to plan it anyway,
// and that choice travels to the confirm form and to Apply.
func TestUnseenGapIsAcceptedOnlyWhenAsked(t *testing.T) {
	f := fixture()
	cut := time.Date(2026, 11, 23, 21, 0, 0, 0, wib)
	f.points["hotspot-1"] = append(f.points["hotspot-1"],
		restore.Point{Router: "hotspot-1", At: cut, BootTime: cut.Add(2 * time.Minute), Online: 5, Gap: 7*time.Minute + 300*time.Millisecond})
	s := newSite(t, f)
	_, body := s.get("/routers/hotspot-1")
	if r := rows(t, body, "points"); r[1][3] != "7m unseen" {
		t.Errorf("the unseen gap's row %q", r[1])
	}
	sel := "at=" + url.QueryEscape("2026-11-23T14:00:00.000Z") + "&boot=" + url.QueryEscape("2026-11-23T14:02:00.000Z")
	code, body := s.get("/routers/hotspot-1/plan?" + sel)
	if code != http.StatusConflict || !strings.Contains(body, "larger --max-gap") || !strings.Contains(body, "Plan anyway, accepting 7m") {
		t.Fatalf("unseen gap: %d\n%s", code, body)
	}
	accept := regexp.MustCompile(`id="accept-gap" href="([^"]+)"`).FindStringSubmatch(body)
	if accept == nil || !strings.Contains(accept[1], "max_gap=421") {
		t.Fatalf("no link accepting the gap (421s, rounded up):\n%s", body)
	}
	code, body = s.get(htmlUnescape(accept[1]))
	if code != http.StatusOK || !strings.Contains(body, "(unseen by Prometheus, accepted)") {
		t.Fatalf("accepted: %d\n%s", code, body)
	}
	form := s.confirmForm(sel + "&max_gap=421")
	if form.Get("max_gap") != "421" {
		t.Fatalf("the confirm form drops max_gap: %v", form)
	}
	if code, body := s.post("/routers/hotspot-1/apply", form); code != http.StatusOK {
		t.Fatalf("apply: %d\n%s", code, body)
	}
	if p := f.applied[0].Point; !p.At.Equal(cut) {
		t.Errorf("applied %+v", p)
	}
	// A max_gap smaller than the gap is still refused.
	if code, _ := s.get("/routers/hotspot-1/plan?" + sel + "&max_gap=60"); code != http.StatusConflict {
		t.Errorf("max_gap=60 on a 7m gap: %d", code)
	}
}

// TestAPlanFailureIsNotBlamedOnAGapWithinTheDefault: a router that came straight back
// (its unseen gap within the default of twice the scrape interval) whose plan fails for
// another reason shows that reason, without offering to accept the gap.
func TestAPlanFailureIsNotBlamedOnAGapWithinTheDefault(t *testing.T) {
	f := fixture()
	cut := time.Date(2026, 11, 23, 21, 0, 0, 0, wib)
	f.points["hotspot-1"] = append(f.points["hotspot-1"],
		restore.Point{Router: "hotspot-1", At: cut, BootTime: cut.Add(20 * time.Second), Online: 5, Gap: 45 * time.Second, Interval: scrapeInterval})
	f.planErr = &restore.Error{Failure: restore.Unreachable, Err: errors.New("router hotspot-1: connect to 10.0.0.1:8728: connection refused")}
	s := newSite(t, f)
	sel := "at=" + url.QueryEscape("2026-11-23T14:00:00.000Z") + "&boot=" + url.QueryEscape("2026-11-23T14:00:20.000Z")
	code, body := s.get("/routers/hotspot-1/plan?" + sel)
	if code != http.StatusBadGateway || !strings.Contains(body, "connection refused") || strings.Contains(body, "accept-gap") || strings.Contains(body, "did not see the router fail") {
		t.Errorf("%d, want 502 with the router's failure and nothing about the gap:\n%s", code, body)
	}
}

// TestRestoreOutlivesTheBrowser: a phone that loses its connection while the restore
// writes does not cut the restore off half done.
func TestRestoreOutlivesTheBrowser(t *testing.T) {
	f := fixture()
	s := newSite(t, f)
	form := s.confirmForm(pointA)
	u, _ := url.Parse(s.srv.URL)
	h := s.srv.Config.Handler

	reqCtx, hangUp := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(reqCtx, http.MethodPost, "/routers/hotspot-1/apply", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range s.client.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	var during error
	f.applyHook = func(ctx context.Context) {
		hangUp() // the browser goes away while the writes run
		<-reqCtx.Done()
		during = ctx.Err()
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if during != nil || f.applyCtxErr != nil {
		t.Errorf("the restore's context ended with the request: during %v, at the end %v", during, f.applyCtxErr)
	}
	if len(f.ledger) != 2 {
		t.Errorf("ledger %v: the restore did not finish", f.ledger)
	}
}
