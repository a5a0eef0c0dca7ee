import PodlabCLI

// Internal re-executions (container shim, exec helper) enter namespaces and must do so while this process has
// one thread, so they are dispatched before anything else runs; they never return.
PodlabInternal.runIfInternal(CommandLine.arguments)
await Podlab.runMain()
