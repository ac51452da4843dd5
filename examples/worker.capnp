# workerd config for examples/worker.ts: serves the bundle examples/worker.js
# on 127.0.0.1:8787 (see worker.ts for how to build and run it).
#
#   npx workerd serve examples/worker.capnp
#
# The compatibility date implies nodejs_compat; the worker needs only Web
# APIs, and runs with or without it.

using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [
    ( name = "http", address = "127.0.0.1:8787", http = (), service = "main" ),
  ],
);

const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2026-11-01",
);
