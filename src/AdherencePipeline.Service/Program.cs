using System.CommandLine;
using AdherencePipeline.Service.Commands;

var root = new RootCommand("AdherencePipeline: wearable exercise adherence for exercise-therapy trials.");
root.Options.Add(CommonOptions.Config);
root.Subcommands.Add(InfluxCommand.Create());
root.Subcommands.Add(DecodeCommand.Create());
root.Subcommands.Add(ProfilesCommand.Create());
return await root.Parse(args).InvokeAsync();
