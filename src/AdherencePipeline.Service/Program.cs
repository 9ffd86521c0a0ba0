using AdherencePipeline.Service.Commands;

return await AdherenceCli.CreateRoot().Parse(args).InvokeAsync();
