// Preloaded into the KFP UI's server on the host (node --require): Service names resolve
// there as they do in a pod.
//
// The UI reads a v2 artifact through the object store its record names
// (ML Metadata's store_session_info: "seaweedfs.kubeflow:9000", a cluster DNS name),
// which the host cannot resolve. ACK_SANDBOX_SERVICE_ADDRESSES maps such names to their
// Services' cluster IPs, which the host reaches through the node's kube-proxy rules;
// every other name resolves as usual. Nothing on the machine changes.
"use strict";
const dns = require("dns");

const addresses = JSON.parse(process.env.ACK_SANDBOX_SERVICE_ADDRESSES || "{}");
const systemLookup = dns.lookup;

dns.lookup = function lookup(hostname, options, callback) {
  const address = addresses[hostname];
  if (address === undefined) {
    return systemLookup.apply(this, arguments);
  }
  if (typeof options === "function") {
    callback = options;
    options = {};
  } else if (typeof options === "number") {
    options = { family: options };
  }
  if (options && options.all) {
    process.nextTick(callback, null, [{ address, family: 4 }]);
  } else {
    process.nextTick(callback, null, address, 4);
  }
};
