// Package olt simulates the web interfaces of EPON OLTs for ronda's tests, demos and
// benchmarks: a HiOSO OLT (GoAhead, HTTP Basic on every request, ONU rows as a JavaScript
// array inside <script>) in its two common page layouts, with a population of ONUs that
// changes over time and faults a weak embedded web server really shows (401, 500, a stall,
// a page cut short, garbage).
//
// The pages follow the format real OLTs serve (FIELD-NOTES, "EPON OLT web interfaces").
// Every request is recorded, so tests can check that a client never sent a write
// (HiOSO's writes are POST /goform/setOnu).
package olt
