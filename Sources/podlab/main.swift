import PodlabCLI
await Podlab.main()
