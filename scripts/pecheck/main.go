// Command pecheck checks that a Windows build is what editors should get: a PE
// executable for the GUI subsystem (no console window) carrying the app icon as a
// resource, and a version resource (what Explorer's Properties, Details tab shows)
// whose file and product versions are the app's version.
//
// Usage: go run ./scripts/pecheck FILE.exe [VERSION]
//
// VERSION defaults to FyneApp.toml's Version (read from the current directory, as the
// Makefile reads it). The version resource's four numbers must start with VERSION's
// three; the fourth is fyne's build number.
package main

import (
	"bufio"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

const (
	subsystemWindowsGUI = 2
	rtIcon              = 3
	rtGroupIcon         = 14
	rtVersion           = 16
	// vsFixedFileInfoSignature starts the VS_FIXEDFILEINFO of a version resource.
	vsFixedFileInfoSignature = 0xFEEF04BD
)

func main() {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: pecheck FILE.exe [VERSION]")
		os.Exit(2)
	}
	path := os.Args[1]
	var want string
	if len(os.Args) == 3 {
		want = os.Args[2]
	} else {
		v, err := fyneAppVersion("FyneApp.toml")
		if err != nil {
			fmt.Fprintf(os.Stderr, "pecheck: %v (or give the version as the second argument)\n", err)
			os.Exit(2)
		}
		want = v
	}
	got, err := check(path, want)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pecheck: %s: %v\n", path, err)
		os.Exit(1)
	}
	fmt.Printf("pecheck: %s is a Windows GUI executable with an icon resource and version %s\n", path, got)
}

// fyneAppVersion reads Version from FyneApp.toml the way the Makefile does: the first line
// that is exactly Version = "...".
func fyneAppVersion(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line := regexp.MustCompile(`^Version = "(.*)"$`)
	s := bufio.NewScanner(f)
	for s.Scan() {
		if m := line.FindStringSubmatch(s.Text()); m != nil {
			return m[1], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s has no Version line", name)
}

// check returns the version resource's file version when every check passes.
func check(path, want string) (string, error) {
	wantNums, err := parseVersion(want, 3)
	if err != nil {
		return "", fmt.Errorf("expected version %q: %w", want, err)
	}
	f, err := pe.Open(path)
	if err != nil {
		return "", fmt.Errorf("not a PE executable: %w", err)
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return "", errors.New("not a 64-bit PE executable")
	}
	if oh.Subsystem != subsystemWindowsGUI {
		return "", fmt.Errorf("subsystem %d, want %d (GUI: no console window)", oh.Subsystem, subsystemWindowsGUI)
	}
	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		return "", errors.New("no .rsrc section: no icon")
	}
	data, err := rsrc.Data()
	if err != nil {
		return "", err
	}
	types, err := resourceTypes(data)
	if err != nil {
		return "", err
	}
	if !types[rtIcon] || !types[rtGroupIcon] {
		return "", fmt.Errorf("resource types %v lack an icon (RT_ICON and RT_GROUP_ICON)", types)
	}
	if !types[rtVersion] {
		return "", errors.New("no version resource (RT_VERSION): Windows shows no file or product version")
	}
	raw, err := firstResource(data, rsrc.VirtualAddress, rtVersion)
	if err != nil {
		return "", fmt.Errorf("version resource: %w", err)
	}
	info, err := parseVersionInfo(raw)
	if err != nil {
		return "", fmt.Errorf("version resource: %w", err)
	}
	for _, v := range []struct {
		name string
		nums [4]uint16
	}{{"fixed FileVersion", info.fileVersion}, {"fixed ProductVersion", info.productVersion}} {
		if !startsWith(v.nums[:], wantNums) {
			return "", fmt.Errorf("%s is %s, want %s.N", v.name, joinVersion(v.nums[:]), want)
		}
	}
	for _, key := range []string{"FileVersion", "ProductVersion"} {
		s, ok := info.strings[key]
		if !ok {
			return "", fmt.Errorf("the version resource has no %s string", key)
		}
		nums, err := parseVersion(s, 0)
		if err != nil || len(nums) < 3 || len(nums) > 4 || !startsWith(nums, wantNums) {
			return "", fmt.Errorf("%s string is %q, want %s or %s.N", key, s, want, want)
		}
	}
	return joinVersion(info.fileVersion[:]), nil
}

// parseVersion parses dotted numbers; n > 0 asks for exactly n of them.
func parseVersion(s string, n int) ([]uint16, error) {
	parts := strings.Split(s, ".")
	if n > 0 && len(parts) != n {
		return nil, fmt.Errorf("want %d numbers separated by dots", n)
	}
	nums := make([]uint16, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number up to 65535", p)
		}
		nums[i] = uint16(v)
	}
	return nums, nil
}

func startsWith(nums, prefix []uint16) bool {
	return len(nums) >= len(prefix) && slices.Equal(nums[:len(prefix)], prefix)
}

func joinVersion(nums []uint16) string {
	s := make([]string, len(nums))
	for i, n := range nums {
		s[i] = strconv.Itoa(int(n))
	}
	return strings.Join(s, ".")
}

// resourceTypes reads the root IMAGE_RESOURCE_DIRECTORY: its id entries are the types.
func resourceTypes(d []byte) (map[uint32]bool, error) {
	entries, err := dirEntries(d, 0)
	if err != nil {
		return nil, err
	}
	types := map[uint32]bool{}
	for _, e := range entries {
		if e.name&0x80000000 == 0 {
			types[e.name] = true
		}
	}
	return types, nil
}

type dirEntry struct{ name, offset uint32 }

// dirEntries reads the entries of the IMAGE_RESOURCE_DIRECTORY at off in the .rsrc data:
// a 16-byte header whose last two words count the named and the id entries, then 8 bytes
// per entry (name or id, offset of the subdirectory or data entry).
func dirEntries(d []byte, off uint32) ([]dirEntry, error) {
	if uint64(off)+16 > uint64(len(d)) {
		return nil, errors.New("resource directory too short")
	}
	named := int(binary.LittleEndian.Uint16(d[off+12:]))
	ids := int(binary.LittleEndian.Uint16(d[off+14:]))
	entries := make([]dirEntry, 0, named+ids)
	for i := range named + ids {
		e := int(off) + 16 + 8*i
		if e+8 > len(d) {
			return nil, errors.New("resource directory truncated")
		}
		entries = append(entries, dirEntry{
			name:   binary.LittleEndian.Uint32(d[e:]),
			offset: binary.LittleEndian.Uint32(d[e+4:]),
		})
	}
	return entries, nil
}

// firstResource returns the data of the first resource of type typ: the resource tree is
// type, then name, then language; the leaf is an IMAGE_RESOURCE_DATA_ENTRY whose first word
// is the data's RVA (relative to the image, hence minus the section's address) and second
// its size.
func firstResource(d []byte, sectionRVA, typ uint32) ([]byte, error) {
	const subdir = 0x80000000
	entries, err := dirEntries(d, 0)
	if err != nil {
		return nil, err
	}
	off := uint32(0)
	found := false
	for _, e := range entries {
		if e.name == typ {
			off, found = e.offset, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("no resource of type %d", typ)
	}
	for level := 0; level < 2; level++ { // name, then language
		if off&subdir == 0 {
			return nil, errors.New("resource tree ends early")
		}
		entries, err := dirEntries(d, off&^subdir)
		if err != nil {
			return nil, err
		}
		if len(entries) == 0 {
			return nil, errors.New("empty resource directory")
		}
		off = entries[0].offset
	}
	if off&subdir != 0 || uint64(off)+16 > uint64(len(d)) {
		return nil, errors.New("bad resource data entry")
	}
	rva := binary.LittleEndian.Uint32(d[off:])
	size := binary.LittleEndian.Uint32(d[off+4:])
	if rva < sectionRVA || uint64(rva-sectionRVA)+uint64(size) > uint64(len(d)) {
		return nil, errors.New("resource data outside .rsrc")
	}
	return d[rva-sectionRVA : rva-sectionRVA+size], nil
}

type versionInfo struct {
	fileVersion, productVersion [4]uint16
	strings                     map[string]string // StringFileInfo's strings, of every language
}

// verNode is one block of a VS_VERSIONINFO: wLength (of the block with its children),
// wValueLength, wType (1: the value is text, counted in UTF-16 units; 0: binary, in bytes),
// the key as NUL-terminated UTF-16, padding to 4 bytes, the value, padding to 4 bytes, and
// the children blocks.
type verNode struct {
	key      string
	value    []byte
	text     bool
	children []verNode
}

func parseVersionInfo(b []byte) (versionInfo, error) {
	root, _, err := parseVerNode(b, 0)
	if err != nil {
		return versionInfo{}, err
	}
	if root.key != "VS_VERSION_INFO" {
		return versionInfo{}, fmt.Errorf("starts with %q, not VS_VERSION_INFO", root.key)
	}
	v := root.value
	if len(v) < 24 || binary.LittleEndian.Uint32(v) != vsFixedFileInfoSignature {
		return versionInfo{}, errors.New("no VS_FIXEDFILEINFO")
	}
	// VS_FIXEDFILEINFO: signature, struct version, then file version MS/LS and product
	// version MS/LS as pairs of 16-bit numbers (high word first).
	split := func(ms, ls uint32) [4]uint16 {
		return [4]uint16{uint16(ms >> 16), uint16(ms), uint16(ls >> 16), uint16(ls)}
	}
	le := binary.LittleEndian
	info := versionInfo{
		fileVersion:    split(le.Uint32(v[8:]), le.Uint32(v[12:])),
		productVersion: split(le.Uint32(v[16:]), le.Uint32(v[20:])),
		strings:        map[string]string{},
	}
	for _, c := range root.children {
		if c.key != "StringFileInfo" {
			continue
		}
		for _, table := range c.children {
			for _, s := range table.children {
				if _, seen := info.strings[s.key]; !seen {
					info.strings[s.key] = decodeUTF16(s.value)
				}
			}
		}
	}
	return info, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// parseVerNode parses the block at off and returns it and the offset just past it.
func parseVerNode(b []byte, off int) (verNode, int, error) {
	if off+6 > len(b) {
		return verNode{}, 0, errors.New("version block truncated")
	}
	length := int(binary.LittleEndian.Uint16(b[off:]))
	valueLength := int(binary.LittleEndian.Uint16(b[off+2:]))
	text := binary.LittleEndian.Uint16(b[off+4:]) == 1
	end := off + length
	if length < 6 || end > len(b) {
		return verNode{}, 0, errors.New("version block length out of range")
	}
	p := off + 6
	var key []uint16
	for {
		if p+2 > end {
			return verNode{}, 0, errors.New("version block key not terminated")
		}
		c := binary.LittleEndian.Uint16(b[p:])
		p += 2
		if c == 0 {
			break
		}
		key = append(key, c)
	}
	n := verNode{key: string(utf16.Decode(key)), text: text}
	p = align4(p)
	size := valueLength
	if text {
		size *= 2
	}
	if size > 0 {
		if p+size > end {
			// Some writers count a text value in bytes rather than UTF-16 units.
			size = end - p
		}
		n.value = b[p : p+size]
		p = align4(p + size)
	}
	for p < end {
		child, next, err := parseVerNode(b, p)
		if err != nil {
			return verNode{}, 0, err
		}
		n.children = append(n.children, child)
		p = align4(next)
	}
	return n, end, nil
}

// decodeUTF16 decodes little-endian UTF-16 up to the first NUL.
func decodeUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return strings.TrimSpace(string(utf16.Decode(u)))
}
