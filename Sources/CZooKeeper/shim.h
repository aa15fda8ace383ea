// CZooKeeper: the ZooKeeper C client (libzookeeper_mt 3.8) as seen from Swift.
//
// A system library target takes no C settings, so THREADED (which declares the multi-threaded API) is defined here,
// before the library's header. Swift 6 rejects the library's mutable C globals (ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL…)
// as not concurrency-safe, so they are read through the small accessors below; every accessor only reads a global
// that the library initialises statically and never writes.
#ifndef FJORD_CZOOKEEPER_SHIM_H
#define FJORD_CZOOKEEPER_SHIM_H

#ifndef THREADED
#define THREADED 1
#endif
#include <zookeeper/zookeeper.h>

// ACL: the only one Fjord uses (world: anyone, all permissions).
static inline struct ACL_vector *fjord_zoo_open_acl_unsafe(void) { return &ZOO_OPEN_ACL_UNSAFE; }

// Create modes.
static inline int fjord_zoo_persistent(void) { return ZOO_PERSISTENT; }
static inline int fjord_zoo_ephemeral(void) { return ZOO_EPHEMERAL; }
static inline int fjord_zoo_persistent_sequential(void) { return ZOO_PERSISTENT_SEQUENTIAL; }
static inline int fjord_zoo_ephemeral_sequential(void) { return ZOO_EPHEMERAL_SEQUENTIAL; }

// Session states (the `state` argument of a watcher).
static inline int fjord_zoo_expired_session_state(void) { return ZOO_EXPIRED_SESSION_STATE; }
static inline int fjord_zoo_auth_failed_state(void) { return ZOO_AUTH_FAILED_STATE; }
static inline int fjord_zoo_connecting_state(void) { return ZOO_CONNECTING_STATE; }
static inline int fjord_zoo_associating_state(void) { return ZOO_ASSOCIATING_STATE; }
static inline int fjord_zoo_connected_state(void) { return ZOO_CONNECTED_STATE; }
static inline int fjord_zoo_readonly_state(void) { return ZOO_READONLY_STATE; }
static inline int fjord_zoo_notconnected_state(void) { return ZOO_NOTCONNECTED_STATE; }

// Watch event types (the `type` argument of a watcher).
static inline int fjord_zoo_created_event(void) { return ZOO_CREATED_EVENT; }
static inline int fjord_zoo_deleted_event(void) { return ZOO_DELETED_EVENT; }
static inline int fjord_zoo_changed_event(void) { return ZOO_CHANGED_EVENT; }
static inline int fjord_zoo_child_event(void) { return ZOO_CHILD_EVENT; }
static inline int fjord_zoo_session_event(void) { return ZOO_SESSION_EVENT; }
static inline int fjord_zoo_notwatching_event(void) { return ZOO_NOTWATCHING_EVENT; }

// The session id of a handle, or 0 before the first connection.
static inline long long fjord_zoo_session_id(zhandle_t *zh) {
    const clientid_t *id = zoo_client_id(zh);
    return id ? (long long)id->client_id : 0;
}

#endif
