import PodlabCLI

await Podlab.runMain()
