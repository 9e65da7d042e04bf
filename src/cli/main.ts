#!/usr/bin/env node
console.log('simplesip');
