package awake

// system on macOS keeps nothing awake yet: ErrUnsupported, which the service logs once.
//
// What it would do, through IOKit (cgo, or a loader without cgo), per hold:
//
//	IOPMAssertionCreateWithName(kIOPMAssertionTypePreventUserIdleSystemSleep,
//		kIOPMAssertionLevelOn, CFSTR(reason), &assertionID)
//
// and, at release, IOPMAssertionRelease(assertionID). The assertion and its reason
// ("Uploading 12 files to Feature Film") are listed by `pmset -g assertions` and in
// Activity Monitor's Energy tab's "Preventing Sleep" column; the system lets go of it when
// the process ends.
type system struct{}

func (system) hold(Options, string) (func(), error) { return nil, ErrUnsupported }
