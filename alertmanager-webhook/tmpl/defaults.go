package tmpl

// defaultTemplates are the messages operators get without writing a template. One
// "ronda.message" per notification: a header when several alerts are grouped, then one
// block per alert in the format of its kind, each followed by a boundary so that long
// groups split between alerts.
const defaultTemplates = `
{{- define "ronda.message" -}}
{{- if gt (len .Alerts) 1 -}}
{{ if .Firing }}🔔 <b>{{ len .Firing }} {{ tr .Language "firing" }}</b>{{ end }}{{ if and .Firing .Resolved }}, {{ end }}{{ if .Resolved }}✅ <b>{{ len .Resolved }} {{ tr .Language "resolved" }}</b>{{ end }}
{{ boundary }}
{{ end -}}
{{- range .Alerts -}}
{{ template "ronda.alert" (dict "A" . "L" $.Language) }}
{{ boundary }}
{{ end -}}
{{- if .TruncatedAlerts }}{{ tr .Language "truncated" }}: {{ .TruncatedAlerts }}
{{ end -}}
{{- end -}}

{{- define "ronda.alert" -}}
{{- if eq .A.Kind "onu" }}{{ template "ronda.onu" . }}
{{- else if eq .A.Kind "reachability" }}{{ template "ronda.reachability" . }}
{{- else if eq .A.Kind "resource" }}{{ template "ronda.resource" . }}
{{- else }}{{ template "ronda.generic" . }}{{ end -}}
{{- end -}}

{{- define "ronda.icon" -}}
{{ if not .A.Firing }}✅{{ else if eq (.A.Field "priority") "critical" }}🔴{{ else if eq (.A.Labels.severity) "critical" }}🔴{{ else if eq (.A.Field "priority") "high" }}🟠{{ else }}🟡{{ end }}
{{- end -}}

{{- define "ronda.onu" -}}
{{ template "ronda.icon" . }} <b>{{ if .A.Firing }}{{ with .A.Field "status" }}ONU {{ toUpper . }}{{ else }}{{ .A.Labels.alertname }}{{ end }}{{ else }}ONU {{ tr .L "recovered" | toUpper }}{{ end }}</b>{{ with .A.Field "priority" }} [{{ toUpper . }}]{{ end }}
OLT: <b>{{ .A.Field "olt" }}</b>
PON: {{ .A.Field "pon" }}
ONU: {{ .A.Field "onu" }}
{{- with .A.Field "name" }}
{{ tr $.L "name" }}: <b>{{ . }}</b>{{ end }}
{{- with .A.Field "mac" }}
MAC: <code>{{ . }}</code>{{ end }}
{{- if .A.Firing }}
{{- with .A.Field "status" }}
Status: {{ . }}{{ end }}
{{- with .A.Field "priority" }}
{{ tr $.L "priority" }}: {{ . }}{{ end }}
{{- with .A.Field "temperature" }}
{{ tr $.L "temperature" }}: {{ number . }} °C{{ end }}
{{- with .A.Field "distance" }}
{{ tr $.L "distance" }}: {{ number . }} m{{ end }}
{{- with .A.Field "rx_power" }}
RX Power: {{ number . }} dBm{{ end }}
{{- with .A.Field "reason" }}
{{ tr $.L "reason" }}: {{ . }}{{ end }}
{{ tr .L "since" }}: {{ localTime .A.StartsAt }}
{{- else }}
{{ tr .L "down_for" }}: {{ humanizeDuration .L .A.Duration }}
{{ tr .L "recovered_at" }}: {{ localTime .A.EndsAt }}
{{- end }}
{{- end -}}

{{- define "ronda.reachability" -}}
{{ template "ronda.icon" . }} <b>{{ if .A.Firing }}{{ tr .L "server_down" }}{{ else }}{{ tr .L "server_up" }}{{ end }}</b>: <b>{{ or (.A.Field "unit") (.A.Field "instance") }}</b>
{{- with .A.Field "instance" }}
Host: {{ . }}{{ end }}
{{- with .A.Field "location" }}
{{ tr $.L "location" }}: {{ . }}{{ end }}
{{- with mapLink (.A.Field "latitude") (.A.Field "longitude") }}
{{ tr $.L "map" }}: <a href="{{ . }}">{{ . }}</a>{{ end }}
{{- if .A.Firing }}
{{ tr .L "since" }}: {{ localTime .A.StartsAt }}
{{- else }}
{{ tr .L "down_for" }}: {{ humanizeDuration .L .A.Duration }}
{{ tr .L "recovered_at" }}: {{ localTime .A.EndsAt }}
{{- end }}
{{- end -}}

{{- define "ronda.resource" -}}
{{ template "ronda.icon" . }} <b>{{ if .A.Firing }}{{ with .A.Annotations.summary }}{{ . }}{{ else }}{{ .A.Labels.alertname }}{{ end }}{{ else }}{{ tr .L "normal" }}: {{ .A.Labels.alertname }}{{ end }}</b>
{{ tr .L "server" }}: <b>{{ or (.A.Field "unit") (.A.Field "instance") }}</b>
{{- with .A.Field "value" }}
{{ tr $.L "value" }}: {{ number (localTimes .) }}{{ with $.A.Field "threshold" }} ({{ tr $.L "threshold" }} {{ number . }}){{ end }}{{ end }}
{{- with .A.Annotations.description }}
{{ localTimes . }}{{ end }}
{{- if .A.Firing }}
{{ tr .L "since" }}: {{ localTime .A.StartsAt }}
{{- else }}
{{ tr .L "lasted" }}: {{ humanizeDuration .L .A.Duration }}
{{- end }}
{{- end -}}

{{- define "ronda.generic" -}}
{{ template "ronda.icon" . }} <b>{{ if .A.Firing }}{{ .A.Labels.alertname }}{{ else }}{{ tr .L "resolved_one" }}: {{ .A.Labels.alertname }}{{ end }}</b>{{ with .A.Labels.severity }} [{{ toUpper . }}]{{ end }}
{{- with .A.Annotations.summary }}
{{ localTimes . }}{{ end }}
{{- with .A.Annotations.description }}
{{ localTimes . }}{{ end }}
{{- with .A.Field "instance" }}
Instance: {{ . }}{{ end }}
{{- if .A.Firing }}
{{ tr .L "since" }}: {{ localTime .A.StartsAt }}
{{- else }}
{{ tr .L "lasted" }}: {{ humanizeDuration .L .A.Duration }}
{{- end }}
{{- end -}}
`

// words of the default templates per language.
var words = map[string]map[string]string{
	"id": {
		"firing": "alert aktif", "resolved": "pulih", "truncated": "Alert lain tidak ditampilkan",
		"recovered": "pulih", "name": "Nama", "priority": "Prioritas", "temperature": "Suhu", "distance": "Jarak",
		"reason": "Penyebab", "since": "Sejak", "down_for": "Mati selama", "recovered_at": "Pulih pada",
		"server_down": "SERVER DOWN", "server_up": "SERVER UP", "location": "Lokasi", "map": "Peta",
		"normal": "Normal kembali", "server": "Server", "value": "Nilai", "threshold": "batas",
		"lasted": "Berlangsung", "resolved_one": "Selesai",
	},
	"en": {
		"firing": "firing", "resolved": "resolved", "truncated": "Alerts not shown",
		"recovered": "recovered", "name": "Name", "priority": "Priority", "temperature": "Temperature", "distance": "Distance",
		"reason": "Reason", "since": "Since", "down_for": "Down for", "recovered_at": "Recovered at",
		"server_down": "SERVER DOWN", "server_up": "SERVER UP", "location": "Location", "map": "Map",
		"normal": "Back to normal", "server": "Server", "value": "Value", "threshold": "threshold",
		"lasted": "Lasted", "resolved_one": "Resolved",
	},
}

// translate is the word for key in language (English when either is unknown).
func translate(language, key string) string {
	if w, ok := words[language][key]; ok {
		return w
	}
	if w, ok := words["en"][key]; ok {
		return w
	}
	return key
}
