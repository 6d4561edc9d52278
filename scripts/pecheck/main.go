// Command pecheck checks that a Windows build is what editors should get: a PE
// executable for the GUI subsystem (no console window) carrying the app icon as a
// resource. Usage: go run ./scripts/pecheck FILE.exe
package main

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

const (
	subsystemWindowsGUI = 2
	rtIcon              = 3
	rtGroupIcon         = 14
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pecheck FILE.exe")
		os.Exit(2)
	}
	if err := check(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "pecheck: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Printf("pecheck: %s is a Windows GUI executable with an icon resource\n", os.Args[1])
}

func check(path string) error {
	f, err := pe.Open(path)
	if err != nil {
		return fmt.Errorf("not a PE executable: %w", err)
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return errors.New("not a 64-bit PE executable")
	}
	if oh.Subsystem != subsystemWindowsGUI {
		return fmt.Errorf("subsystem %d, want %d (GUI: no console window)", oh.Subsystem, subsystemWindowsGUI)
	}
	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		return errors.New("no .rsrc section: no icon")
	}
	data, err := rsrc.Data()
	if err != nil {
		return err
	}
	types, err := resourceTypes(data)
	if err != nil {
		return err
	}
	if !types[rtIcon] || !types[rtGroupIcon] {
		return fmt.Errorf("resource types %v lack an icon (RT_ICON and RT_GROUP_ICON)", types)
	}
	return nil
}

// resourceTypes reads the root IMAGE_RESOURCE_DIRECTORY: its id entries are the types.
func resourceTypes(d []byte) (map[uint32]bool, error) {
	if len(d) < 16 {
		return nil, errors.New("resource directory too short")
	}
	named := int(binary.LittleEndian.Uint16(d[12:]))
	ids := int(binary.LittleEndian.Uint16(d[14:]))
	types := map[uint32]bool{}
	for i := range named + ids {
		off := 16 + 8*i
		if off+8 > len(d) {
			return nil, errors.New("resource directory truncated")
		}
		name := binary.LittleEndian.Uint32(d[off:])
		if name&0x80000000 == 0 {
			types[name] = true
		}
	}
	return types, nil
}
