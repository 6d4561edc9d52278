//go:build !race

package desktop

const raceOn = false
