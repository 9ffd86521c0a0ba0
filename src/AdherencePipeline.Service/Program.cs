using AdherencePipeline.Service.Commands;

var parseResult = AdherenceCli.CreateRoot().Parse(args);
return await parseResult.InvokeAsync(RunCommand.Invocation(parseResult));
