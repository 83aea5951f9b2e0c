// A plugin that fails while loading: `--import` reports it in one line.
throw new Error('this plugin is broken on purpose');
