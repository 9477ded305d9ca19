package olt

import (
	"strconv"
	"strings"
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

// renderPage writes the page for onus with rows of the given width (22 or 16).
func renderPage(b *strings.Builder, onus []*ONU, width int, now time.Time) {
	b.WriteString(pageHead)
	b.WriteString("var onutable=new Array(\n")
	for i, o := range onus {
		row := fields(o, now)
		for j, f := range row[:width] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\'')
			jsEscape(b, f)
			b.WriteByte('\'')
		}
		if i < len(onus)-1 {
			b.WriteString(",\n")
		}
	}
	b.WriteString("\n);\nvar lineNum=(onutable.length)/")
	b.WriteString(strconv.Itoa(width))
	b.WriteString(";\n")
	b.WriteString(strings.ReplaceAll(pageTail, "%W%", strconv.Itoa(width)))
}

// fields is an ONU's 22 columns in HiOSO's order.
func fields(o *ONU, now time.Time) [22]string {
	var f [22]string
	f[0] = o.Key()
	f[1] = o.Name
	f[2] = o.MAC
	f[3] = string(o.Status)
	f[4] = o.Firmware
	f[5] = "0x6504"
	f[6] = "1"
	f[7], f[8] = "0", "--"
	auth := "1"
	if !o.Active {
		auth = "2"
	}
	f[9] = auth
	for i := 10; i <= 15; i++ {
		f[i] = "--"
	}
	f[16], f[17] = "--", "--"
	up := now.Sub(o.Since)
	if up < 0 {
		up = 0
	}
	if o.online() {
		f[7], f[8] = "5", "0x21"
		f[10] = strconv.Itoa(o.RTT)
		d := o.Drift(now)
		f[11] = fixed(o.Temp + d)
		f[12] = fixed(o.Voltage)
		f[13] = fixed(o.BiasMA + d)
		f[14] = fixed(o.TxPower + d/3)
		f[15] = fixed(o.RxPower + d)
		switch o.Glitch {
		case GlitchAllOnes:
			f[12], f[13], f[14], f[15] = "6.55", "131.07", "8.16", "8.16"
		case GlitchNaN:
			f[11], f[15] = "nan", "-inf"
		case GlitchFloor:
			f[15] = "-40.00"
		}
		f[16] = o.Since.UTC().Format("2006/01/02 15:04:05")
		f[19] = strconv.Itoa(int(up.Seconds()))
	} else {
		f[17] = o.Since.UTC().Format("2006/01/02 15:04:05")
		f[19] = "0"
	}
	f[18] = strconv.Itoa(o.Reason)
	f[20] = strconv.Itoa(o.Deregs)
	f[21] = "0"
	if o.DyingGasp {
		f[21] = "1"
	}
	return f
}

func fixed(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// jsEscape writes s as the inside of a single-quoted JavaScript string.
func jsEscape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '<': // keep "</script>" in a name from ending the script
			b.WriteString(`\x3c`)
		default:
			b.WriteByte(c)
		}
	}
}
