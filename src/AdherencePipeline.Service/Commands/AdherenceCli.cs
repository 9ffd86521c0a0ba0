using System.CommandLine;

namespace AdherencePipeline.Service.Commands;

/// <summary>The <c>adherence</c> command line: one verb per class, gathered here.</summary>
internal static class AdherenceCli
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("AdherencePipeline: wearable exercise adherence for exercise-therapy trials.");
        root.Options.Add(CommonOptions.Config);
        foreach (var refused in CommonOptions.RefusedSecretOptions())
        {
            root.Options.Add(refused);
        }

        root.Subcommands.Add(InfluxCommand.Create());
        root.Subcommands.Add(DecodeCommand.Create());
        root.Subcommands.Add(ProfilesCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(RescoreCommand.Create());
        root.Subcommands.Add(RecordingsCommand.Create());
        root.Subcommands.Add(QueryCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(ParticipantsCommand.Create());
        root.Subcommands.Add(PainCommand.Create());
        root.Subcommands.Add(ModelCommand.Create());
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(WebCommand.Create());
        root.Subcommands.Add(OutcomesCommand.Create());
        root.Subcommands.Add(AnalysisCommand.Create());
        root.Subcommands.Add(GatewayCommand.Create());
        return root;
    }
}
