package authgeartest

// runPreCreateHookLocked runs the blocking user.pre_create hook.
func (ex *executor) runPreCreateHookLocked(u *User) *fieldErr { return nil }

// userCreatedEventLocked prepares the non-blocking user.created delivery.
func (s *Server) userCreatedEventLocked(u *User) func() { return func() {} }
