package olt

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// HiOSO pages. The ONU rows are a flat JavaScript array of single-quoted strings; the page
// states the row width in `var lineNum=(onutable.length)/W;` and builds the table in the
// browser. Widths: 22 on the all-PON page, 16 on the per-PON overview page (the first 16
// of the 22 columns).

const pageHead = `<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta http-equiv="Pragma" content="no-cache">
<title>ONU List</title>
<link rel="stylesheet" href="/style/normal_ws.css" type="text/css">
<script language="JavaScript" type="text/javascript">
`

const pageTail = `
function showOnu()
{
	for (var i = 0; i < lineNum; i++) {
		document.write("<tr>");
		for (var j = 0; j < 8; j++) {
			document.write("<td class='tdtext'>" + onutable[i*%W%+j] + "</td>");
		}
		document.write("</tr>");
	}
}
</script>
</head>
<body class="mainbody">
<form name="onulist" method="post" action="/goform/setOnu">
<table class="tableList" id="onuTable" width="100%" border="1">
<tr><td class="hd">ONU ID</td><td class="hd">Name</td><td class="hd">MAC</td><td class="hd">Status</td></tr>
<script language="JavaScript">showOnu();</script>
</table>
<input type="hidden" name="onuId" value="">
<input type="button" value="Reboot" onclick="onuReboot()">
</form>
</body>
</html>
`

// pageBufs holds page buffers from request to request: a 256-ONU page is ~47 KB, and the
// simulator often runs in the same process as the exporter it feeds (benchmarks, tests,
// ronda-sim next to a dev exporter), where a page made afresh each time is garbage the
// exporter's own collections pay for. A real OLT renders in its own CPU.
var pageBufs = sync.Pool{New: func() any { return new([]byte) }}

// sinceLayout is how HiOSO writes a time: UTC, to the second.
const sinceLayout = "2006/01/02 15:04:05"

// appendPage appends the page for onus with rows of the given width (22 or 16).
func appendPage(b []byte, onus []*ONU, width int, now time.Time) []byte {
	b = append(b, pageHead...)
	b = append(b, "var onutable=new Array(\n"...)
	for i, o := range onus {
		b = appendRow(b, o, width, now)
		if i < len(onus)-1 {
			b = append(b, ",\n"...)
		}
	}
	b = append(b, "\n);\nvar lineNum=(onutable.length)/"...)
	b = strconv.AppendInt(b, int64(width), 10)
	b = append(b, ";\n"...)
	head, tail, _ := strings.Cut(pageTail, "%W%")
	b = append(b, head...)
	b = strconv.AppendInt(b, int64(width), 10)
	return append(b, tail...)
}

// appendRow appends an ONU's first width columns in HiOSO's order, each a quoted
// JavaScript string:
//
//	0 key, 1 name, 2 MAC, 3 status, 4 firmware, 5 "0x6504", 6 "1", 7 LLID state, 8 LLID,
//	9 auth (1 active, 2 deactivated), 10 RTT, 11 temperature, 12 voltage, 13 bias,
//	14 TX, 15 RX, 16 up since, 17 down since, 18 offline reason, 19 uptime seconds,
//	20 deregistrations, 21 dying gasp
//
// An offline ONU shows "--" for 8 and 10-16 and "0" for 7 and 19.
func appendRow(b []byte, o *ONU, width int, now time.Time) []byte {
	online := o.online()
	var drift float64
	if online {
		drift = o.Drift(now)
	}
	for j := range width {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, '\'')
		switch j {
		case 1:
			b = appendJS(b, o.Name)
		case 2:
			b = appendJS(b, o.MAC)
		case 3:
			b = appendJS(b, string(o.Status))
		case 4:
			b = appendJS(b, o.Firmware)
		default:
			b = o.appendColumn(b, j, online, drift, now)
		}
		b = append(b, '\'')
	}
	return b
}

// fields is an ONU's 22 columns in HiOSO's order, unescaped: the readings the HSGQ and
// V-SOL personalities show in their own formats.
func fields(o *ONU, now time.Time) [22]string {
	online := o.online()
	var drift float64
	if online {
		drift = o.Drift(now)
	}
	f := [22]string{1: o.Name, 2: o.MAC, 3: string(o.Status), 4: o.Firmware}
	var b []byte
	for j := range f {
		if j < 1 || j > 4 {
			b = o.appendColumn(b[:0], j, online, drift, now)
			f[j] = string(b)
		}
	}
	return f
}

// appendColumn appends column j of the ONU, except the text columns 1-4, which the
// caller writes (escaped on the page). d is the drift of an online ONU's readings.
func (o *ONU) appendColumn(b []byte, j int, online bool, d float64, now time.Time) []byte {
	switch {
	case j == 0:
		b = append(b, "0/"...)
		b = strconv.AppendInt(b, int64(o.PON), 10)
		b = append(b, ':')
		return strconv.AppendInt(b, int64(o.ID), 10)
	case j == 5:
		return append(b, "0x6504"...)
	case j == 6:
		return append(b, '1')
	case j == 9:
		if o.Active {
			return append(b, '1')
		}
		return append(b, '2')
	case j == 18:
		return strconv.AppendInt(b, int64(o.Reason), 10)
	case j == 20:
		return strconv.AppendInt(b, int64(o.Deregs), 10)
	case j == 21:
		if o.DyingGasp {
			return append(b, '1')
		}
		return append(b, '0')
	case online:
		return o.appendOnline(b, j, d, now)
	}
	return o.appendOffline(b, j)
}

// appendOnline appends column j (7, 8, 10-17, 19) of a registered ONU.
func (o *ONU) appendOnline(b []byte, j int, d float64, now time.Time) []byte {
	switch j {
	case 7:
		return append(b, '5')
	case 8:
		return append(b, "0x21"...)
	case 10:
		return strconv.AppendInt(b, int64(o.RTT), 10)
	case 11:
		if o.Glitch == GlitchNaN {
			return append(b, "nan"...)
		}
		return appendFixed(b, o.Temp+d)
	case 12:
		if o.Glitch == GlitchAllOnes {
			return append(b, "6.55"...)
		}
		return appendFixed(b, o.Voltage)
	case 13:
		if o.Glitch == GlitchAllOnes {
			return append(b, "131.07"...)
		}
		return appendFixed(b, o.BiasMA+d)
	case 14:
		if o.Glitch == GlitchAllOnes {
			return append(b, "8.16"...)
		}
		return appendFixed(b, o.TxPower+d/3)
	case 15:
		switch o.Glitch {
		case GlitchAllOnes:
			return append(b, "8.16"...)
		case GlitchNaN:
			return append(b, "-inf"...)
		case GlitchFloor:
			return append(b, "-40.00"...)
		}
		return appendFixed(b, o.RxPower+d)
	case 16:
		return o.Since.UTC().AppendFormat(b, sinceLayout)
	case 17:
		return append(b, "--"...)
	case 19:
		up := max(now.Sub(o.Since), 0)
		return strconv.AppendInt(b, int64(up.Seconds()), 10)
	}
	panic("olt: no column " + strconv.Itoa(j))
}

// appendOffline appends column j (7, 8, 10-17, 19) of an ONU that is not registered.
func (o *ONU) appendOffline(b []byte, j int) []byte {
	switch j {
	case 7, 19:
		return append(b, '0')
	case 17:
		return o.Since.UTC().AppendFormat(b, sinceLayout)
	}
	return append(b, "--"...)
}

func appendFixed(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'f', 2, 64) }

// appendJS appends s as the inside of a single-quoted JavaScript string.
func appendJS(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '<': // keep "</script>" in a name from ending the script
			b = append(b, `\x3c`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
