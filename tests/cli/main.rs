mod mcp;
mod tools;
